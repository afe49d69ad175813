import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  type Diagnostic,
  formatDiagnostic,
  type GatewayFile,
  type GatewaySource,
  readGatewaySource,
  validateGatewayConfig,
} from '@switchyard/config';
import { isSwitchyardError, type Logger, SwitchyardError } from '@switchyard/shared';
import type { NamespaceChange } from './diff.js';

/** What started a reload. */
export type ReloadTrigger = 'signal' | 'file' | 'call';

export type ReloadOutcome =
  /** `unchanged`: a file event that left the content as it was (editors often write twice); nothing done. */
  | { ok: true; trigger: ReloadTrigger; changes: readonly NamespaceChange[]; unchanged?: true }
  /** `diagnostics` are those `switchyard check` prints for the file (empty when it could not be read). */
  | { ok: false; trigger: ReloadTrigger; error: SwitchyardError; diagnostics: readonly Diagnostic[] };

export interface ConfigWatcherOptions {
  /** The gateway file the gateway was started from (a Flexible Configuration template with FC_ENABLE). */
  file: string;
  /** What the file is swapped into: a gateway, or the workers of `--workers` (which answer later). */
  gateway: { reload(config: GatewayFile): readonly NamespaceChange[] | Promise<readonly NamespaceChange[]> };
  logger: Logger;
  /** For SWITCHYARD_<KEY> overrides and FC_* settings, as at start [process.env]. */
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
  /** The files watched (absolute): the config, and under FC its templates, settings and partials. */
  readonly watched: readonly string[];
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Hot reload of a gateway file on a signal (SIGHUP) and on change of any file it came from: the file
 * itself, or under Flexible Configuration the template, sub-templates, settings and partials (and new
 * files in those folders). Directories are watched, not files, so editors that save by writing a new
 * file and renaming it over the old one (vim, most IDEs) and Kubernetes' ConfigMap symlink swap are seen
 * too; events are debounced, and a change that leaves the (rendered) text as it was does nothing. Each
 * reload validates as `switchyard check` does: a bad file is refused with its diagnostics logged and the
 * running configuration keeps serving; a good one is swapped in atomically (requests in flight finish on
 * the old one) and each changed plugin emits `plugin_updated`. Reloads never overlap.
 */
export function watchGatewayConfig(options: ConfigWatcherOptions): ConfigWatcher {
  const { logger, gateway } = options;
  const file = resolve(options.file);
  const env = options.env ?? process.env;
  const debounceMs = options.debounceMs ?? 200;
  const watchFile = options.watchFile !== false;
  let lastDigest: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Directory → its watcher, the file names that matter there (null: any name, an FC folder). */
  const watchers = new Map<string, { watcher: FSWatcher; names: Set<string> | null }>();
  let watched: string[] = [file];

  function onChange() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!closed) void reload('file').catch(onFailure);
    }, debounceMs);
  }

  /** Watches the folders of `sources` (and `folders` whole); stops watching folders no longer used. */
  function follow(sources: readonly string[], folders: readonly string[]) {
    watched = [...sources];
    if (!watchFile || closed) return;
    const wanted = new Map<string, Set<string> | null>();
    for (const dir of folders) wanted.set(dir, null);
    for (const f of sources) {
      const dir = dirname(f);
      const names = wanted.get(dir);
      if (names === null) continue;
      wanted.set(dir, (names ?? new Set()).add(basename(f)));
    }
    for (const [dir, entry] of watchers) {
      if (!wanted.has(dir)) {
        entry.watcher.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = watchers.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      try {
        const entry = { watcher: undefined as unknown as FSWatcher, names };
        entry.watcher = watch(dir, { persistent: false }, (_event, changed) => {
          // No name (some platforms), a file that matters, or a Kubernetes `..data` swap.
          if (changed && entry.names && !entry.names.has(changed) && !changed.startsWith('..')) return;
          onChange();
        });
        entry.watcher.on('error', (err) =>
          logger.warn({ err, dir }, 'watching a configuration folder failed'),
        );
        watchers.set(dir, entry);
      } catch (err) {
        logger.warn({ err, dir }, 'cannot watch a configuration folder; reload with SIGHUP');
      }
    }
  }

  let chain: Promise<unknown> = readGatewaySource(file, env).then(
    (source) => {
      lastDigest = digest(source.text);
      follow(source.sources, source.folders);
    },
    () => follow([file], []),
  );

  async function attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    let source: GatewaySource;
    try {
      source = await readGatewaySource(file, env);
    } catch (err) {
      if (!isSwitchyardError(err) || !err.code.startsWith('SWY_CONFIG_')) {
        return refuse(
          trigger,
          new SwitchyardError('SWY_CONFIG_READ', `cannot read ${file}: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
      return refuse(trigger, err);
    }
    // A template that now includes another partial: watch what the config comes from now.
    follow(source.sources, source.folders);
    const textDigest = digest(source.text);
    if (trigger === 'file' && textDigest === lastDigest)
      return { ok: true, trigger, unchanged: true, changes: [] };
    let changes: readonly NamespaceChange[];
    try {
      const loaded = validateGatewayConfig(source.parsed.value, {
        file: source.label,
        parsed: source.parsed,
        env,
      });
      for (const w of loaded.warnings)
        logger.warn({ diagnostic: formatDiagnostic(w) }, 'configuration warning');
      changes = await gateway.reload(loaded.config);
    } catch (err) {
      // SWY_RELOAD_ABORTED: a worker of `--workers` could not take the file, so none did.
      if (
        !isSwitchyardError(err) ||
        !(err.code.startsWith('SWY_CONFIG_') || err.code === 'SWY_RELOAD_ABORTED')
      )
        throw err;
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
  // Until the first read says more, the file itself is watched.
  follow([file], []);

  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
      if (signal) process.off(signal, onSignal);
    },
    get watched() {
      return watched;
    },
  };
}
