import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { AdminNamespace, EventsNamespace, GatewayFile } from '@switchyard/config';
import { closeUnreadBody, createLogger, type Logger, SwitchyardError, VERSION } from '@switchyard/shared';
import type { Registry } from 'prom-client';
import { ADMIN_DEFAULTS, type AdminServer, createAdminServer } from './admin/server.js';
import { Pools } from './backend/pools.js';
import { htmlEscape } from './encode/html-escape.js';
import { deriveStatus } from './events/health.js';
import { EventHub } from './events/hub.js';
import type { GatewayObserver } from './events/observer.js';
import { EventWorkerHost, type EventWorkerOptions, type WorkerHealth } from './events/worker/host.js';
import { metricsFor } from './metrics/index.js';
import { COMPLETED_HEADER } from './pipeline/answer.js';
import { type CorsHandler, PluginHost, type PreparedBuild } from './plugins/index.js';
import { applyLogging, logShape } from './plugins/logging.js';
import type { PluginRegistry, ServerHandler } from './plugins/modules/index.js';
import { type NamespaceChange, namespaceChanges } from './reload/diff.js';
import { ClientIp } from './request/client-ip.js';
import { Exchange, type RouteHandler, type Runtime } from './request/exchange.js';
import { buildRoutes, type Routes } from './router/build.js';
import { type GatewaySettings, MAX_HEADER_FIELDS, resolveSettings } from './settings.js';

export interface GatewayOptions {
  config: GatewayFile;
  logger?: Logger;
  /** Enables `/__debug/*` (the CLI's -d). */
  debug?: boolean;
  /** Overrides the file's `port` (0 for an ephemeral port). */
  port?: number;
  /** Overrides the file's `listen_ip`. */
  host?: string;
  /** Another observer of requests, called besides the event hub. */
  observer?: GatewayObserver;
  /**
   * The admin listener (`/__health`, `/__events`): `false` disables it (tests, library users who read
   * `gateway.events` in process); `listen` and `token` override `extra_config.admin`. Without either it
   * listens on 127.0.0.1:8091 unless the file sets `admin.disable`.
   */
  admin?: false | { listen?: string | undefined; token?: string | undefined };
  /** The events' node id when `telemetry/events` sets none [the host name]. */
  nodeId?: string;
  /**
   * Builds events in a worker thread (`true`, or its options: a consumer such as the event proxy runs in
   * it): the request thread then only records raw facts into a bounded hand-off. Without it events are
   * built on the request thread (library use).
   */
  eventWorker?: boolean | EventWorkerOptions;
  /**
   * The plugin modules of the root `plugin` folder, loaded with `loadPlugins` (import is asynchronous,
   * building routes is not). Without it no plugin is registered and endpoints naming one answer 500.
   */
  plugins?: PluginRegistry;
  /**
   * Collects Prometheus metrics even without an admin listener (a `--workers` worker: its primary serves
   * the node's aggregated `/metrics`) [only with the admin listener].
   */
  metrics?: boolean;
}

export interface GatewayAddress {
  port: number;
  host: string;
}

export interface AdminAddress {
  host: string;
  port: number;
  url: string;
}

export interface Gateway {
  /** Starts accepting requests. */
  listen(): Promise<GatewayAddress>;
  /** Stops accepting, lets requests in flight finish, closes backend connections, then resolves. */
  close(): Promise<void>;
  /**
   * Swaps in routes built from a new file. Requests already running finish on the old routes. An invalid
   * file throws (SWY_CONFIG_INVALID) and the old routes keep serving. Each `extra_config` namespace whose
   * settings changed emits `plugin_updated` (change `config`) and is returned.
   */
  reload(config: GatewayFile): readonly NamespaceChange[];
  /**
   * The first half of `reload`: builds routes from a new file without putting them in force (an invalid
   * file throws, as for `reload`). Its `commit` swaps them in (what `reload` does); `abandon` drops them.
   * Lets several gateways (the workers of `--workers`) move to a file together or not at all.
   */
  prepareReload(config: GatewayFile): PreparedReload;
  /** Requests being served now. */
  readonly inFlight: number;
  /** The Prometheus registry of the gateway's metrics; null when it collects none. */
  readonly metricsRegistry: Registry | null;
  readonly address: GatewayAddress | null;
  /** The event hub: `subscribe` to it for the gateway's events in process. */
  readonly events: EventHub;
  /** The admin listener's address once listening; null before, or when disabled. */
  readonly adminAddress: AdminAddress | null;
  /** The event worker, when events are built in one (`eventWorker`); null otherwise. */
  readonly eventWorker: EventWorkerHandle | null;
}

/** A reload built and waiting: exactly one of `commit` and `abandon` follows. */
export interface PreparedReload {
  commit(): readonly NamespaceChange[];
  abandon(): void;
}

/** What the gateway tells about its event worker and lets its owner do with it. */
export interface EventWorkerHandle {
  readonly health: WorkerHealth;
  /** What the worker's consumer told about itself once started (the event proxy: its `address`). */
  readonly consumerInfo: unknown;
  /** Builds every event handed off so far and resolves once the consumer delivered them. */
  flush(timeoutMs?: number): Promise<void>;
}

/** One compiled configuration: what a request needs from the file it arrived under. */
interface Generation {
  file: GatewayFile;
  settings: GatewaySettings;
  routes: Routes;
  clientIp: ClientIp;
  /** `security/cors`, `security/http`, `security/bot-detector`, run before routing; null when none. */
  front: CorsHandler | null;
  /** Where a request enters: routing, or the root's `plugin/http-server` plugins around it. */
  serve: ServerHandler;
  /** Requests that entered under this generation and are not answered yet. */
  active: number;
  /** Called when `active` drops to 0 (set once the generation is no longer in force). */
  idle: (() => void) | null;
  /** The runtime its requests see (`runtimeOf`). */
  rt: Runtime | null;
}

/** A generation as built, before it is entered. */
type Built = Omit<Generation, 'serve' | 'active' | 'idle' | 'rt'>;

const CLOSE_GRACE_MS = 5000;
/** How long `listen` waits for the `redis` connections before serving on the node's own counters. */
const REDIS_READY_MS = 2000;
const HEADERS_TOO_LARGE_TEXT = '431 request header fields too large';

function hostHeaders(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // The length first: most names are not four letters, and lower-casing allocates.
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

export function createGateway(options: GatewayOptions): Gateway {
  const overrides = { port: options.port, host: options.host, debug: options.debug };
  const logger = applyLogging(options.logger ?? createLogger({ name: 'gateway' }), options.config);
  const first = resolveSettings(options.config, overrides);
  const pools = new Pools(first.idleConnectionMs);
  // Plugin transitions (a breaker opening) go to the hub, which is built below and used only later.
  const plugins = new PluginHost((...e) => hub.emitPluginUpdated(...e), logger, options.plugins);
  let current = generation(options.config, first);

  let inflight = 0;
  const worker = options.eventWorker
    ? new EventWorkerHost(
        options.eventWorker === true ? {} : options.eventWorker,
        eventsOf(options.config),
        logger,
        () => hub.checkHealth(),
      )
    : undefined;
  const hub = new EventHub({
    settings: eventsOf(options.config),
    logger,
    health: {
      inFlight: () => inflight,
      backends: () => plugins.breakerStates(),
      // A failed event worker (being restarted) makes the node degraded until it runs again.
      ...(worker && {
        status: () => {
          const status = deriveStatus(plugins.breakerStates());
          return worker.healthy || status === 'down' ? status : 'degraded';
        },
      }),
    },
    ...(options.nodeId !== undefined && { nodeId: options.nodeId }),
    ...(worker && { feed: worker }),
  });
  worker?.bind(hub);
  const adminSettings = adminOf(options.config);
  // Prometheus metrics are collected only when the admin listener can serve them.
  const metrics = metricsFor(
    options.metrics ?? (options.admin !== false && adminSettings.disable !== true),
    options.config,
    {
      sources: {
        inFlight: () => inflight,
        breakers: () => plugins.breakerStates(),
        redis: () => plugins.redis.statuses(),
        ...(worker && {
          events: () => ({
            dropped: worker.writer.dropped,
            pending: worker.writer.pending,
            capacity: worker.writer.capacity,
            restarts: worker.workerHealth.restarts,
          }),
        }),
      },
      logger,
    },
  );
  // With an event worker the hub builds nothing on this thread: requests go to the worker's recorder.
  const observer = worker ? options.observer : options.observer ? both(hub, options.observer) : hub;
  const admin: AdminServer | null =
    options.admin === false || adminSettings.disable === true
      ? null
      : createAdminServer({
          hub,
          listen: options.admin?.listen ?? adminSettings.listen ?? ADMIN_DEFAULTS.listen,
          ...optionalToken(options.admin?.token ?? adminSettings.token),
          ...(adminSettings.max_streams !== undefined && { maxStreams: adminSettings.max_streams }),
          logger: logger.child({ component: 'admin' }),
          ...(metrics && { metrics: () => metrics.text() }),
          health: () => ({
            agents: {},
            now: new Date().toISOString(),
            status: hub.status(),
            node_id: hub.nodeId,
            version: VERSION,
            uptime_s: Math.round(process.uptime()),
            in_flight: inflight,
            events: {
              recording: hub.recording,
              subscribers: hub.subscribers,
              retained: hub.retained,
              retained_bytes: hub.retainedBytes,
              ...(worker && { worker: worker.workerHealth }),
            },
          }),
        });
  let adminAddress: AdminAddress | null = null;
  let closing = false;
  let drained: (() => void) | null = null;
  let address: GatewayAddress | null = null;
  let closed: Promise<void> | null = null;

  const rt: Runtime = {
    logger,
    observer,
    userObserver: options.observer,
    recorder: worker?.recorder,
    get recordHealthChecks() {
      return hub.settings.recordHealthChecks;
    },
    metrics,
    get closing() {
      return closing;
    },
    requestDone() {
      inflight--;
      if (inflight === 0 && drained) drained();
    },
  };

  const server = createServer(
    {
      maxHeaderSize: first.maxHeaderBytes,
      ...(first.readTimeoutMs ? { requestTimeout: first.readTimeoutMs } : {}),
      ...(first.readHeaderTimeoutMs ? { headersTimeout: first.readHeaderTimeoutMs } : {}),
      ...(first.idleTimeoutMs ? { keepAliveTimeout: first.idleTimeoutMs } : {}),
    },
    (req, res) => {
      closeUnreadBody(req, res);
      if (req.rawHeaders.length > MAX_HEADER_FIELDS * 2) {
        refuseHeaders(req, res);
        return;
      }
      if (hostHeaders(req.rawHeaders) > 1) {
        refuseManyHosts(res);
        return;
      }
      if (req.url !== undefined && !req.url.startsWith('/')) useTargetHost(req);
      inflight++;
      current.active++;
      current.serve(req, res);
    },
  );
  // Node would keep the first 1000 header fields and drop the rest silently: count them all (their bytes
  // are bounded by max_header_bytes) and refuse a request with too many.
  server.maxHeadersCount = 0;
  server.on('clientError', onClientError);

  /**
   * RFC 9112 §3.2: a request with more than one Host is answered 400, as Go's server does. Node keeps the
   * first and drops the others, so the gateway and a proxy in front of it could each act on another host.
   */
  function refuseManyHosts(res: ServerResponse): void {
    const text = '400 Bad Request: too many Host headers';
    res.writeHead(400, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': text.length,
      Connection: 'close',
    });
    res.end(text);
  }

  function refuseHeaders(req: IncomingMessage, res: ServerResponse): void {
    const err = new SwitchyardError(
      'SWY_HEADERS_TOO_LARGE',
      `${req.rawHeaders.length / 2} request header fields (at most ${MAX_HEADER_FIELDS})`,
    );
    logger.debug({ err }, 'refused a request with too many header fields');
    const text = HEADERS_TOO_LARGE_TEXT;
    res.writeHead(431, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': text.length,
      Connection: 'close',
    });
    res.end(text);
  }

  /** The routes of a file, entered directly or through the server plugins it names. */
  function generation(config: GatewayFile, settings: GatewaySettings): Generation {
    const prepared = prepareGeneration(config, settings, pools, plugins, logger);
    prepared.commit();
    return entered(prepared.value);
  }

  /**
   * A generation's own runtime: it counts the generation's requests as they end, without a listener per
   * request. Made on first use (the first generation is built before `rt`).
   */
  function runtimeOf(g: Generation): Runtime {
    g.rt ??= Object.create(rt, {
      requestDone: {
        value: () => {
          rt.requestDone();
          if (--g.active === 0) g.idle?.();
        },
      },
    }) as Runtime;
    return g.rt;
  }

  /** A built generation entered directly or through the server plugins its file names. */
  function entered(built: Built): Generation {
    const { settings, file: config } = built;
    const g: Generation = {
      ...built,
      serve: (req, res) => handle(g, req, res),
      active: 0,
      idle: null,
      rt: null,
    };
    const wrapped = plugins.serverHandler(config.extra_config, g.serve, {
      timeoutMs: settings.timeoutMs,
      answeredByPlugin: () => runtimeOf(g).requestDone(),
    });
    if (wrapped) g.serve = wrapped;
    return g;
  }

  function handle(g: Generation, req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (!path.startsWith('/')) path = absolutePath(path);
    if (g.settings.router.remove_extra_slash) path = path.replace(/\/{2,}/g, '/');
    const x = new Exchange(req, res, path, query, g.clientIp.of(req), runtimeOf(g));
    try {
      if (g.front?.(x)) return;
    } catch (err) {
      // A root handler's failure is the gateway's 500 for this request, never an uncaught exception.
      x.begin('');
      internalError(x, err);
      return;
    }
    const method = req.method ?? 'GET';
    const found = g.routes.router.lookup(method, path);
    switch (found.kind) {
      case 'found':
        run(found.route.handler, x, found.params);
        return;
      case 'redirect': {
        x.begin('');
        const location = query ? `${found.location}?${query}` : found.location;
        const get = method === 'GET' || method === 'HEAD';
        const body = method === 'GET' ? `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n` : null;
        x.send(
          found.status,
          get ? { Location: location, 'Content-Type': 'text/html; charset=utf-8' } : { Location: location },
          body,
          false,
        );
        return;
      }
      case 'method':
        // gin's NoMethod handlers: lura adds none, so no completion header here.
        x.begin('');
        x.send(405, { Allow: found.allow, 'Content-Type': 'text/plain' }, '405 method not allowed', false);
        return;
      default:
        // lura's NoRoute handler marks the answer incomplete; gin writes the body.
        x.begin('');
        x.send(
          404,
          { [COMPLETED_HEADER]: 'false', 'Content-Type': 'text/plain' },
          '404 page not found',
          false,
        );
    }
  }

  function run(handler: RouteHandler, x: Exchange, params: string[]): void {
    try {
      const done = handler(x, params);
      if (done) done.catch((err: unknown) => internalError(x, err));
    } catch (err) {
      internalError(x, err);
    }
  }

  function internalError(x: Exchange, err: unknown): void {
    x.log().error({ err }, 'request failed inside the gateway');
    if (!x.res.headersSent) x.send(500, {}, null, false);
    else {
      x.res.destroy();
      x.finished(500, 0, false);
    }
  }

  function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? ['431 Request Header Fields Too Large', HEADERS_TOO_LARGE_TEXT]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', '408 request timeout']
          : ['400 Bad Request', '400 bad request'];
    const refused =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new SwitchyardError('SWY_HEADERS_TOO_LARGE', 'request headers over max_header_bytes', {
            cause: err,
          })
        : err;
    logger.debug({ err: refused }, 'refused a malformed request');
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`,
    );
  }

  function prepareReload(config: GatewayFile): PreparedReload {
    const settings = resolveSettings(config, overrides);
    const prepared = prepareGeneration(config, settings, pools, plugins, logger);
    let settled = false;
    return {
      abandon() {
        if (settled) return;
        settled = true;
        prepared.abandon();
      },
      commit() {
        if (settled) throw new SwitchyardError('SWY_INTERNAL', 'a prepared reload was already settled');
        settled = true;
        // What only the previous routes used (broker connections) outlives the requests still on them.
        prepared.commit(requestsDone(current, current.routes.maxTimeoutMs + 1000));
        return swap(entered(prepared.value));
      },
    };
  }

  /** Puts a built generation in force (reload): requests already running finish on the previous one. */
  function swap(next: Generation): readonly NamespaceChange[] {
    const config = next.file;
    const settings = next.settings;
    const previous = current;
    current = next;
    for (const key of ['port', 'host', 'maxHeaderBytes'] as const) {
      if (settings[key] !== previous.settings[key])
        logger.warn({ setting: key }, 'this setting changes only on restart');
    }
    pools.retain(next.routes.poolKeys, previous.routes.maxTimeoutMs + 1000);
    const changes = namespaceChanges(previous.file, config);
    // Announced under the settings in force until now, so a change that turns events off is still told.
    for (const c of changes) hub.emitPluginUpdated(c.plugin, c.scope, 'config', c.from, c.to);
    if (!isDeepStrictEqual(eventsOf(previous.file), eventsOf(config))) {
      for (const key of hub.configure(eventsOf(config)))
        logger.warn({ setting: `telemetry/events.${key}` }, 'this setting changes only on restart');
    }
    if (!isDeepStrictEqual(previous.file.plugin, config.plugin))
      logger.warn({ setting: 'plugin' }, 'plugin modules are loaded only on restart');
    if (!isDeepStrictEqual(adminOf(previous.file), adminOf(config)))
      logger.warn({ setting: 'admin' }, 'the admin listener changes only on restart');
    const [was, now] = [logShape(previous.file), logShape(config)];
    for (const key of ['logging', 'gelf', 'logstash'] as const)
      if (!isDeepStrictEqual(was[key], now[key]))
        logger.warn({ setting: `telemetry/${key}` }, 'this setting changes only on restart');
    logger.info(
      { endpoints: config.endpoints?.length ?? 0, changed_plugins: changes.length },
      'configuration reloaded',
    );
    return changes;
  }

  return {
    get address() {
      return address;
    },

    get adminAddress() {
      return adminAddress;
    },

    events: hub,

    metricsRegistry: metrics?.registry ?? null,

    get inFlight() {
      return inflight;
    },

    eventWorker: worker
      ? {
          get health() {
            return worker.workerHealth;
          },
          get consumerInfo() {
            return worker.consumerInfo;
          },
          flush: (timeoutMs) => worker.flush(timeoutMs),
        }
      : null,

    async listen() {
      const { port, host } = current.settings;
      // Shared rate limits start shared when Redis is there; without it they start on the node's counters.
      await plugins.redis.ready(REDIS_READY_MS);
      // The OpenTelemetry SDK, imported only when the file configures it, records from the first request.
      await plugins.telemetryReady();
      // The event worker (and its consumer, the proxy in `run`) runs before the first request arrives.
      await worker?.start();
      const bound = await new Promise<GatewayAddress>((resolve, reject) => {
        const onError = (err: Error) =>
          reject(
            new SwitchyardError('SWY_LISTEN_FAILED', `gateway on ${host}:${port}: ${err.message}`, {
              cause: err,
            }),
          );
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const a = server.address() as AddressInfo;
          resolve({ port: a.port, host: a.address });
        });
      });
      if (admin) {
        try {
          adminAddress = await admin.start();
        } catch (err) {
          await new Promise<void>((resolve) => server.close(() => resolve()));
          throw err;
        }
        logger.info({ url: adminAddress.url }, 'admin listener on');
      }
      pools.own.set(bound, adminAddress);
      hub.start();
      address = bound;
      logger.info({ host: bound.host, port: bound.port }, 'gateway listening');
      return bound;
    },

    reload: (config) => prepareReload(config).commit(),

    prepareReload,

    close() {
      closed ??= (async () => {
        closing = true;
        const grace = current.routes.maxTimeoutMs + CLOSE_GRACE_MS;
        if (server.listening) {
          const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
          if (inflight > 0) await bounded(new Promise<void>((resolve) => (drained = resolve)), grace);
          // Keep-alive connections become idle as their last answer ends: close them as they do.
          const sweep = setInterval(() => server.closeIdleConnections(), 20);
          server.closeIdleConnections();
          await bounded(stopped, CLOSE_GRACE_MS);
          clearInterval(sweep);
          server.closeAllConnections();
        }
        // The worker builds the last requests' events and hands them on; then the event streams send
        // what they have and end; then the worker's consumer delivers what it can and closes.
        await worker?.drain();
        await admin?.close();
        await worker?.close();
        hub.close();
        await pools.close(grace);
        await plugins.close();
        logger.info('gateway stopped');
      })();
      return closed;
    },
  };
}

/** A generation built without putting its plugins in force (see PluginHost.prepare). */
function prepareGeneration(
  config: GatewayFile,
  settings: GatewaySettings,
  pools: Pools,
  plugins: PluginHost,
  logger: Logger,
): PreparedBuild<Built> {
  for (const option of ['use_h2c', 'app_engine'] as const) {
    if (settings.router[option])
      logger.warn({ option: `router.${option}` }, 'not supported by Switchyard; ignored');
  }
  const routes = plugins.prepare(
    config.extra_config,
    () => buildRoutes(config, { settings, pools, logger, plugins }),
    config.name,
  );
  let front: CorsHandler | null;
  try {
    front = plugins.front(config.extra_config);
  } catch (err) {
    routes.abandon();
    throw err;
  }
  return {
    value: { file: config, settings, routes: routes.value, clientIp: new ClientIp(settings.router), front },
    commit: routes.commit,
    abandon: routes.abandon,
  };
}

const eventsOf = (file: GatewayFile) => (file.extra_config?.['telemetry/events'] ?? {}) as EventsNamespace;
const adminOf = (file: GatewayFile) => (file.extra_config?.admin ?? {}) as AdminNamespace;
const optionalToken = (token: string | undefined) => (token ? { token } : {});

/** The hub and a caller's observer: data is built when either wants it. */
function both(hub: EventHub, other: GatewayObserver): GatewayObserver {
  return {
    get recording() {
      return hub.recording || other.recording !== false;
    },
    requestStarted(req) {
      hub.requestStarted(req);
      other.requestStarted(req);
    },
    requestFinished(req, res) {
      hub.requestFinished(req, res);
      other.requestFinished(req, res);
    },
  };
}

/** Settles once no request runs on `g` (no longer in force: none enters it), or after `graceMs` at most. */
function requestsDone(g: Generation, graceMs: number): Promise<void> {
  if (g.active === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, graceMs);
    timer.unref();
    g.idle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

function bounded(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * RFC 9112 §3.2.2: with an absolute-form target (`GET http://host/path`) the host is the target's and Host
 * is ignored, as Go's server sets it: else allowed_hosts and the https redirect would judge another host
 * than the one a proxy in front routed on.
 */
function useTargetHost(req: IncomingMessage): void {
  let host = '';
  try {
    host = new URL(req.url as string).host;
  } catch {
    // `*` or an authority-form target: Host stands.
  }
  if (host) req.headers.host = host;
}

/** An absolute-form request target (`GET http://host/path`): route on its path. */
function absolutePath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return `/${target}`;
  }
}
