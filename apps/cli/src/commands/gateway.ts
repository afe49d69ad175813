import { availableParallelism } from 'node:os';
import { type Diagnostic, formatDiagnostic, type GatewayFile, loadGatewayConfig } from '@switchyard/config';
import {
  type ConfigWatcher,
  createGateway,
  type EventWorkerOptions,
  type Gateway,
  loadPlugins,
  watchGatewayConfig,
} from '@switchyard/gateway';
import {
  createLogger,
  isSwitchyardError,
  type Logger,
  type LogLevel,
  SwitchyardError,
} from '@switchyard/shared';
import { CONFIG_FLAG, type Flag, parseFlags, stringFlag, usageError } from '../args/flags.js';
import { runCluster } from '../cluster/index.js';
import type { Command, CommandIO } from '../command.js';

export interface GatewayArgs {
  file: string;
  debug: boolean;
  port: number | undefined;
  /** host:port of the admin listener (overrides `extra_config.admin.listen`). */
  adminListen: string | undefined;
  /** Gateway processes serving the port (`--workers`): 1 is one process, more run on node:cluster [1]. */
  workers?: number;
}

/** The flags of `run` and `gateway`, KrakenD's `run` flags plus the admin listener. */
export const GATEWAY_FLAGS: readonly Flag[] = [
  CONFIG_FLAG,
  { long: 'debug', short: 'd', type: 'count', description: 'Enables the /__debug endpoint' },
  {
    long: 'port',
    short: 'p',
    type: 'string',
    value: 'PORT',
    description: 'Listening port for the HTTP service',
  },
  {
    long: 'admin-listen',
    type: 'string',
    value: 'ADDR',
    description: 'Admin API and event stream address [127.0.0.1:8091]',
  },
  {
    long: 'workers',
    type: 'string',
    value: 'N|auto',
    description: 'Gateway worker processes on the same port (auto: one per available core) [1]',
  },
];

/** Most workers `--workers` accepts: beyond it a typo, not a machine. */
const MAX_WORKERS = 256;

/** `--workers N|auto`: a count from 1 to MAX_WORKERS, or one per core the process may use. */
function parseWorkers(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_WORKERS)
    throw usageError(
      `--workers: expected a number from 1 to ${MAX_WORKERS} or "auto", got ${JSON.stringify(text)}`,
    );
  return n;
}

/** Parses `-c FILE [-d] [-p PORT] [--admin-listen ADDR] [--workers N|auto]` with KrakenD's flag rules. */
export function parseGatewayArgs(command: string, args: readonly string[]): GatewayArgs {
  const { values } = parseFlags(command, GATEWAY_FLAGS, args);
  const file = stringFlag(values, 'config');
  if (!file)
    throw new SwitchyardError('SWY_INVALID_ARGUMENT', 'missing -c FILE (the path to the configuration file)');
  const portText = stringFlag(values, 'port');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) {
      throw usageError(`--port: expected a port number (0-65535), got ${JSON.stringify(portText)}`);
    }
  }
  return {
    file,
    debug: Number(values.debug ?? 0) > 0,
    port,
    adminListen: stringFlag(values, 'admin-listen'),
    workers: parseWorkers(stringFlag(values, 'workers')),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Loads a gateway file; on a bad file writes the diagnostics the way `switchyard check` does and
 * returns null. Warnings go to stderr and do not stop the load.
 */
export async function loadForRun(file: string, io: CommandIO): Promise<GatewayFile | null> {
  try {
    const loaded = await loadGatewayConfig(file, { env: io.env });
    for (const w of loaded.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
    return loaded.config;
  } catch (err) {
    if (!isSwitchyardError(err) || !err.code.startsWith('SWY_CONFIG_')) throw err;
    const diagnostics = (err.details?.diagnostics as Diagnostic[] | undefined) ?? [];
    if (diagnostics.length === 0) {
      io.stderr.write(`${err.message}\n`);
      return null;
    }
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr.write(
      `${file}: ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}\n`,
    );
    return null;
  }
}

/**
 * The process logger: JSON lines on the command's stdout (stderr with `toStderr`, when stdout carries
 * events), level from LOG_LEVEL.
 */
export function cliLogger(io: CommandIO, toStderr = false, fallbackLevel?: LogLevel): Logger {
  const destination = toStderr ? io.stderr : io.stdout;
  return createLogger({
    name: 'switchyard',
    level: (io.env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined) ?? fallbackLevel,
    ...(destination === process.stdout ? {} : { destination }),
  });
}

export interface StartedGateway {
  gateway: Gateway;
  /** Hot reload of the file on SIGHUP and on change. */
  watcher: ConfigWatcher;
  logger: Logger;
}

export interface GatewayExtras {
  logger?: Logger;
  /** Overrides the file's `listen_ip` (tests: 127.0.0.1). */
  host?: string;
  /** Debounce of the file watch [200 ms]. */
  reloadDebounceMs?: number;
  /** The gateway's event worker (events are built off the request thread) [on, without a consumer]. */
  eventWorker?: EventWorkerOptions;
}

/** Loads the file and builds the gateway, not listening yet; null (diagnostics written) when the file is bad. */
export async function prepareGateway(
  args: GatewayArgs,
  io: CommandIO,
  extras: GatewayExtras = {},
): Promise<{ gateway: Gateway; logger: Logger } | null> {
  const config = await loadForRun(args.file, io);
  if (!config) return null;
  const logger = extras.logger ?? cliLogger(io);
  // Plugin modules are imported before the routes that use them are built (KrakenD loads them first too).
  const plugins = config.plugin ? await loadPlugins(config.plugin, logger) : undefined;
  const gateway = createGateway({
    config,
    ...(plugins && { plugins }),
    logger,
    debug: args.debug,
    ...(args.port !== undefined && { port: args.port }),
    ...(extras.host !== undefined && { host: extras.host }),
    ...(args.adminListen !== undefined && { admin: { listen: args.adminListen } }),
    eventWorker: extras.eventWorker ?? true,
  });
  return { gateway, logger };
}

/** Starts listening (the gateway and its admin listener) and watches the file for hot reload. */
export async function listenGateway(
  prepared: { gateway: Gateway; logger: Logger },
  args: GatewayArgs,
  io: CommandIO,
  extras: GatewayExtras = {},
): Promise<StartedGateway> {
  const { gateway, logger } = prepared;
  await gateway.listen();
  const watcher = watchGatewayConfig({
    file: args.file,
    gateway,
    logger,
    env: io.env,
    ...(extras.reloadDebounceMs !== undefined && { debounceMs: extras.reloadDebounceMs }),
  });
  return { gateway, watcher, logger };
}

/**
 * Loads the file, starts listening (the gateway and its admin listener) and watches the file for hot
 * reload; null (diagnostics written) when the file is bad.
 */
export async function startGateway(
  args: GatewayArgs,
  io: CommandIO,
  extras: GatewayExtras = {},
): Promise<StartedGateway | null> {
  const prepared = await prepareGateway(args, io, extras);
  return prepared ? listenGateway(prepared, args, io, extras) : null;
}

/** Stops watching the file and closes the gateway gracefully (in-flight requests finish). */
export async function stopGateway(started: StartedGateway): Promise<void> {
  started.watcher.close();
  await started.gateway.close();
}

/** Waits for SIGTERM/SIGINT, then closes gracefully (in-flight requests finish). */
export async function untilStopped(started: StartedGateway, io: CommandIO): Promise<number> {
  const signal = await io.stopSignal;
  started.logger.info({ signal }, 'stopping: finishing requests in flight');
  await stopGateway(started);
  return 0;
}

const USAGE = 'switchyard gateway -c FILE [-d] [-p PORT] [--admin-listen ADDR] [--workers N|auto]';

/** `switchyard gateway`: the gateway alone, never the event proxy. */
export const gateway: Command = {
  name: 'gateway',
  summary:
    'run the API gateway alone from a KrakenD v3 file (admin API with the event stream on --admin-listen, default 127.0.0.1:8091); SIGHUP or a file change reloads; SIGTERM/SIGINT finish requests in flight and exit',
  usage: USAGE,
  flags: GATEWAY_FLAGS,
  async run(argv, io) {
    const args = parseGatewayArgs('gateway', argv);
    if ((args.workers ?? 1) > 1) return runCluster(args, io, async () => null);
    const started = await startGateway(args, io);
    return started ? untilStopped(started, io) : 1;
  },
};
