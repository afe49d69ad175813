import { type EventProxySettings, loadEventProxySettings } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import type { Gateway } from '@switchyard/gateway';
import type { Logger, LogLevel } from '@switchyard/shared';
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
import { HubSource } from './hub-source.js';

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

/** The gateway and, when configured, the event proxy it feeds in the same process. */
export interface RunningSwitchyard extends StartedGateway {
  proxy: EventProxy | undefined;
  /**
   * Stops the file watch, then the gateway (requests in flight finish and emit their events), then the
   * proxy (it takes the last events and delivers what is queued within its shutdown deadline).
   */
  close(): Promise<void>;
}

/**
 * `switchyard run`: the gateway from `args.file` and, when TARGET_TYPE is set, the event proxy in the same
 * process, fed from the gateway's event hub in memory (HubSource, no HTTP hop). The proxy starts before the
 * gateway accepts its first request, so every request's events reach it. Null when the gateway file is bad
 * (its diagnostics are written to io.stderr); a bad event proxy setting rejects with the error to print.
 */
export async function startRun(
  args: GatewayArgs,
  io: CommandIO,
  extras: RunExtras = {},
): Promise<RunningSwitchyard | null> {
  const settings =
    extras.proxy !== undefined
      ? extras.proxy
      : io.env.TARGET_TYPE
        ? await loadEventProxySettings({ env: io.env })
        : null;
  // With events on stdout, logs go to stderr so the two never interleave.
  const eventsOut = extras.eventsOut ?? io.stdout;
  const eventsOnStdout =
    settings?.target.type === 'file' && settings.target.file?.path === '-' && eventsOut === io.stdout;
  const logger = extras.logger ?? cliLogger(io, eventsOnStdout, extras.logLevel);

  const prepared = await prepareGateway(args, io, { ...extras, logger });
  if (!prepared) return null;
  const source = new HubSource({ hub: prepared.gateway.events });
  const proxy = settings
    ? await startProxy(settings, prepared.gateway, source, logger, eventsOut)
    : undefined;
  let started: StartedGateway;
  try {
    started = await listenGateway(prepared, args, io, extras);
  } catch (err) {
    await prepared.gateway.close();
    await proxy?.close({ deadlineMs: 0 });
    throw err;
  }
  return {
    ...started,
    proxy,
    async close() {
      await stopGateway(started);
      if (!proxy) return;
      // The last requests' events, before the proxy stops taking any.
      await source.flush();
      await proxy.close();
    },
  };
}

async function startProxy(
  settings: EventProxySettings,
  gateway: Gateway,
  source: HubSource,
  logger: Logger,
  stdout: NodeJS.WritableStream,
): Promise<EventProxy> {
  const { gateway: remote, ...own } = settings;
  if (remote) {
    logger.warn(
      { gateway_admin_url: remote.admin_url },
      'GATEWAY_ADMIN_URL is ignored by `switchyard run`: this gateway hands its events over in process',
    );
  }
  // The proxy carries this gateway's own events: ingest, where anyone who reaches the listener could add
  // look-alikes, is off unless EVENT_PROXY_INGEST (or ingest.enabled) turns it on.
  const ingest = { ...own.ingest, enabled: own.ingest.enabled ?? false };
  const proxy = createEventProxy(
    { ...own, ingest },
    {
      // Its own children add `component` (spool, delivery…): this key names the runtime, so no line has a key twice.
      logger: logger.child({ runtime: 'event-proxy' }),
      stdout,
      sources: [source],
    },
  );
  try {
    await proxy.start();
  } catch (err) {
    await proxy.close({ deadlineMs: 0 }).catch(() => undefined);
    await gateway.close();
    throw err;
  }
  return proxy;
}
