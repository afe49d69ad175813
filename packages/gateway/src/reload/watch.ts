import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { type Diagnostic, formatDiagnostic, loadGatewayConfig } from '@switchyard/config';
import { isSwitchyardError, type Logger, SwitchyardError } from '@switchyard/shared';
import type { Gateway } from '../server.js';
import type { NamespaceChange } from './diff.js';

/** What started a reload. */
export type ReloadTrigger = 'signal' | 'file' | 'call';

export type ReloadOutcome =
  /** `unchanged`: a file event that left the content as it was (editors often write twice); nothing done. */
  | { ok: true; trigger: ReloadTrigger; changes: readonly NamespaceChange[]; unchanged?: true }
  /** `diagnostics` are those `switchyard check` prints for the file (empty when it could not be read). */
  | { ok: false; trigger: ReloadTrigger; error: SwitchyardError; diagnostics: readonly Diagnostic[] };

export interface ConfigWatcherOptions {
  /** The gateway file the gateway was started from. */
  file: string;
  gateway: Pick<Gateway, 'reload'>;
  logger: Logger;
  /** For SWITCHYARD_<KEY> overrides, as at start [process.env]. */
  env?: NodeJS.ProcessEnv;
  /** Reload when the file changes [true]. */
  watchFile?: boolean;
  /** Reload on this signal [SIGHUP]; null for none. */
  signal?: NodeJS.Signals | null;
  /** Quiet time after the last file event before reloading [200 ms]. */
  debounceMs?: number;
  /** Told the outcome of every reload. */
  onReload?: (outcome: ReloadOutcome) => void;
}

export interface ConfigWatcher {
  /** Re-reads, validates and swaps the file now (what the signal and the file watch do). */
  reload(trigger?: ReloadTrigger): Promise<ReloadOutcome>;
  /** Stops watching and listening for the signal. */
  close(): void;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Hot reload of a gateway file on a signal (SIGHUP) and on change. The directory is watched, not the
 * file, so editors that save by writing a new file and renaming it over the old one (vim, most IDEs) and
 * Kubernetes' ConfigMap symlink swap are seen too; events are debounced, and a file event that leaves the
 * content unchanged does nothing. Each reload validates the file as `switchyard check` does: a bad file is
 * refused with its diagnostics logged and the running configuration keeps serving; a good one is swapped
 * in atomically (requests in flight finish on the old one) and each changed plugin emits `plugin_updated`.
 * Reloads never overlap.
 */
export function watchGatewayConfig(options: ConfigWatcherOptions): ConfigWatcher {
  const { logger, gateway } = options;
  const file = resolve(options.file);
  const name = basename(file);
  const debounceMs = options.debounceMs ?? 200;
  let lastDigest: string | undefined;
  let chain: Promise<unknown> = readFile(file, 'utf8').then(
    (text) => {
      lastDigest = digest(text);
    },
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let closed = false;

  async function attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return refuse(
        trigger,
        new SwitchyardError('SWY_CONFIG_READ', `cannot read ${file}: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
    const textDigest = digest(text);
    if (trigger === 'file' && textDigest === lastDigest)
      return { ok: true, trigger, unchanged: true, changes: [] };
    let changes: readonly NamespaceChange[];
    try {
      const loaded = await loadGatewayConfig(file, { env: options.env ?? process.env });
      for (const w of loaded.warnings)
        logger.warn({ diagnostic: formatDiagnostic(w) }, 'configuration warning');
      changes = gateway.reload(loaded.config);
    } catch (err) {
      if (!isSwitchyardError(err) || !err.code.startsWith('SWY_CONFIG_')) throw err;
      return refuse(trigger, err);
    }
    lastDigest = textDigest;
    logger.info({ file, trigger, changed_plugins: changes.length }, 'configuration reloaded');
    return { ok: true, trigger, changes };
  }

  function refuse(trigger: ReloadTrigger, error: SwitchyardError): ReloadOutcome {
    const diagnostics = (error.details?.diagnostics as Diagnostic[] | undefined) ?? [];
    logger.error(
      {
        file,
        trigger,
        error: error.message,
        diagnostics: diagnostics.map(formatDiagnostic),
      },
      'configuration refused; the running configuration keeps serving',
    );
    return { ok: false, trigger, error, diagnostics };
  }

  function reload(trigger: ReloadTrigger = 'call'): Promise<ReloadOutcome> {
    const run = chain.then(() => attempt(trigger));
    chain = run.catch(() => undefined);
    return run.then((outcome) => {
      options.onReload?.(outcome);
      return outcome;
    });
  }

  const onFailure = (err: unknown) => logger.error({ err, file }, 'configuration reload failed');
  const onSignal = () => void reload('signal').catch(onFailure);
  const signal = options.signal === undefined ? 'SIGHUP' : options.signal;
  if (signal) process.on(signal, onSignal);

  if (options.watchFile !== false) {
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        // No name (some platforms), the file itself, or a Kubernetes `..data` swap.
        if (changed && changed !== name && !changed.startsWith('..')) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (!closed) void reload('file').catch(onFailure);
        }, debounceMs);
      });
      watcher.on('error', (err) => logger.warn({ err, file }, 'watching the configuration file failed'));
    } catch (err) {
      logger.warn({ err, file }, 'cannot watch the configuration file; reload with SIGHUP');
    }
  }

  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      if (signal) process.off(signal, onSignal);
    },
  };
}
