import { loadEventProxySettings } from '@switchyard/config';
import { createLogger, SwitchyardError } from '@switchyard/shared';
import { createEventProxy } from './proxy.js';

export interface RunIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopSignal: Promise<NodeJS.Signals>;
}

function configFile(args: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') {
      file = args[++i];
      if (file === undefined) throw new SwitchyardError('SWY_INVALID_ARGUMENT', `${arg} needs a file name`);
    } else if (arg.startsWith('--config=')) {
      file = arg.slice('--config='.length);
    } else {
      throw new SwitchyardError('SWY_INVALID_ARGUMENT', `unexpected argument "${arg}" (expected -c FILE)`);
    }
  }
  return file;
}

/**
 * Runs the event proxy as a process: settings from `-c FILE` (or EVENT_PROXY_CONFIG) and the environment,
 * until a stop signal, then drains within the deadline. Resolves to the exit code; rejects with the one
 * error to print (bad settings, listener in use) for the caller to report and exit 1.
 */
export async function runEventProxy(args: readonly string[], io: RunIO): Promise<number> {
  const file = configFile(args);
  const settings = await loadEventProxySettings({ env: io.env, ...(file !== undefined && { file }) });
  // With events on stdout, logs go to stderr so the two never interleave.
  const eventsOnStdout = settings.target.type === 'file' && settings.target.file?.path === '-';
  const destination = eventsOnStdout ? io.stderr : io.stdout === process.stdout ? undefined : io.stdout;
  const logger = createLogger({
    name: 'switchyard-event-proxy',
    level: settings.log_level,
    ...(destination && { destination }),
  });
  const proxy = createEventProxy(settings, { logger, stdout: io.stdout });
  try {
    await proxy.start();
  } catch (err) {
    await proxy.close({ deadlineMs: 0 }).catch(() => {});
    throw err;
  }
  const signal = await io.stopSignal;
  // Delivery goes on until EVENT_SHUTDOWN_TIMEOUT; what is left then stays in the spool.
  const deadlineMs = settings.shutdown.timeout_ms;
  logger.info({ signal, deadline_ms: deadlineMs }, 'stopping: delivering what is queued');
  await proxy.close({ deadlineMs });
  return 0;
}
