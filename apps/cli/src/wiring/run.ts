import { type EventProxySettings, loadEventProxySettings } from '@switchyard/config';
import type { EventWorkerOptions } from '@switchyard/gateway';
import type { LogLevel } from '@switchyard/shared';
import type { CommandIO } from '../command.js';
import {
  cliLogger,
  type GatewayArgs,
  type GatewayExtras,
  listenGateway,
  prepareGateway,
  type StartedGateway,
  stopGateway,
} from '../commands/gateway.js';

export interface RunExtras extends GatewayExtras {
  /**
   * The event proxy's settings. Default: from the environment (and EVENT_PROXY_CONFIG) when TARGET_TYPE is
   * set, else no event proxy. `null`: never an event proxy.
   */
  proxy?: EventProxySettings | null;
  /** Where a file sink with path `-` writes [io.stdout]. */
  eventsOut?: NodeJS.WritableStream;
  /** The log level when LOG_LEVEL is not set. */
  logLevel?: LogLevel;
}

/** The event proxy of `switchyard run`, running in the gateway's event worker, seen from outside it. */
export interface InProcessProxy {
  /** Its listener's bound address (ingest, /healthz, /readyz, /metrics). */
  readonly address: { host: string; port: number; url: string } | undefined;
  /** Resolves once every event the gateway emitted so far is delivered (SWY_SINK_TIMEOUT after `timeoutMs`). */
  flush(timeoutMs?: number): Promise<void>;
}

/** The gateway and, when configured, the event proxy it feeds in the same process. */
export interface RunningSwitchyard extends StartedGateway {
  /** The event proxy (in the gateway's event worker), when one runs. */
  proxy: InProcessProxy | undefined;
  /**
   * Stops the file watch, then the gateway: requests in flight finish, the event worker builds their
   * events and the proxy takes them, then delivers what is queued within its shutdown deadline.
   */
  close(): Promise<void>;
}

/** The built module the event worker loads the proxy from (tests run this file from src). */
function proxyWorkerModule(): string {
  const url = new URL('./proxy-worker.js', import.meta.url);
  return url.href.replace('/src/wiring/', '/dist/wiring/');
}

/**
 * `switchyard run`: the gateway from `args.file` and, when TARGET_TYPE is set, the event proxy in the same
 * process. The proxy runs in the gateway's event worker thread, fed from the hand-off in memory (no HTTP
 * hop, no event work on the request thread). It starts before the gateway accepts its first request, so
 * every request's events reach it. Null when the gateway file is bad (its diagnostics are written to
 * io.stderr); a bad event proxy setting, or a proxy that cannot start, rejects with the error to print.
 */
export async function startRun(
  args: GatewayArgs,
  io: CommandIO,
  extras: RunExtras = {},
): Promise<RunningSwitchyard | null> {
  const settings = await runProxySettings(io, extras);
  // With events on stdout, logs go to stderr so the two never interleave.
  const eventsOut = extras.eventsOut ?? io.stdout;
  const eventsOnStdout =
    settings?.target.type === 'file' && settings.target.file?.path === '-' && eventsOut === io.stdout;
  const logger = extras.logger ?? cliLogger(io, eventsOnStdout, extras.logLevel);
  if (settings?.gateway) {
    logger.warn(
      { gateway_admin_url: settings.gateway.admin_url },
      'GATEWAY_ADMIN_URL is ignored by `switchyard run`: this gateway hands its events over in process',
    );
  }
  const consumer = settings ? proxyConsumer(settings, eventsOut) : undefined;
  const prepared = await prepareGateway(args, io, {
    ...extras,
    logger,
    eventWorker: consumer ? { consumer } : {},
  });
  if (!prepared) return null;
  let started: StartedGateway;
  try {
    started = await listenGateway(prepared, args, io, extras);
  } catch (err) {
    await prepared.gateway.close();
    throw err;
  }
  const worker = started.gateway.eventWorker;
  const proxy: InProcessProxy | undefined =
    consumer && worker
      ? {
          get address() {
            return (worker.consumerInfo as { address?: InProcessProxy['address'] } | undefined)?.address;
          },
          flush: (timeoutMs) => worker.flush(timeoutMs),
        }
      : undefined;
  return { ...started, proxy, close: () => stopGateway(started) };
}

function proxyConsumer(
  settings: EventProxySettings,
  stdout: NodeJS.WritableStream,
): NonNullable<EventWorkerOptions['consumer']> {
  const own = inProcessSettings(settings);
  return { module: proxyWorkerModule(), data: own, types: own.filter.types, stdout };
}

/** The settings of an event proxy fed in process by its gateway (`run`, or the primary of `--workers`). */
export function inProcessSettings(settings: EventProxySettings): Omit<EventProxySettings, 'gateway'> {
  const { gateway: _remote, ...own } = settings;
  // The proxy carries this gateway's own events: ingest, where anyone who reaches the listener could add
  // look-alikes, is off unless EVENT_PROXY_INGEST (or ingest.enabled) turns it on.
  return { ...own, ingest: { ...own.ingest, enabled: own.ingest.enabled ?? false } };
}

/** The event proxy settings of `run`: from the environment when TARGET_TYPE is set, else none. */
export async function runProxySettings(io: CommandIO, extras: RunExtras): Promise<EventProxySettings | null> {
  if (extras.proxy !== undefined) return extras.proxy;
  return io.env.TARGET_TYPE ? loadEventProxySettings({ env: io.env }) : null;
}
