import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GatewayFile } from '@switchyard/config';
import { createLogger, type Logger } from '@switchyard/shared';
import { Pools } from './backend/pools.js';
import type { GatewayObserver } from './events/observer.js';
import { ClientIp } from './request/client-ip.js';
import { Exchange, type RouteHandler, type Runtime } from './request/exchange.js';
import { buildRoutes, type Routes } from './router/build.js';
import { type GatewaySettings, resolveSettings } from './settings.js';

export interface GatewayOptions {
  config: GatewayFile;
  logger?: Logger;
  /** Enables `/__debug/*` (the CLI's -d). */
  debug?: boolean;
  /** Overrides the file's `port` (0 for an ephemeral port). */
  port?: number;
  /** Overrides the file's `listen_ip`. */
  host?: string;
  observer?: GatewayObserver;
}

export interface GatewayAddress {
  port: number;
  host: string;
}

export interface Gateway {
  /** Starts accepting requests. */
  listen(): Promise<GatewayAddress>;
  /** Stops accepting, lets requests in flight finish, closes backend connections, then resolves. */
  close(): Promise<void>;
  /**
   * Swaps in routes built from a new file. Requests already running finish on the old routes. An invalid
   * file throws (SWY_CONFIG_INVALID) and the old routes keep serving.
   */
  reload(config: GatewayFile): void;
  readonly address: GatewayAddress | null;
}

/** One compiled configuration: what a request needs from the file it arrived under. */
interface Generation {
  settings: GatewaySettings;
  routes: Routes;
  clientIp: ClientIp;
}

const CLOSE_GRACE_MS = 5000;

export function createGateway(options: GatewayOptions): Gateway {
  const overrides = { port: options.port, host: options.host, debug: options.debug };
  const logger = options.logger ?? createLogger({ name: 'gateway' });
  const first = resolveSettings(options.config, overrides);
  const pools = new Pools({ connections: first.connectionsPerOrigin, keepAliveMs: first.idleConnectionMs });
  let current = compile(options.config, first, pools, logger);

  let inflight = 0;
  let closing = false;
  let drained: (() => void) | null = null;
  let address: GatewayAddress | null = null;
  let closed: Promise<void> | null = null;

  const rt: Runtime = {
    logger,
    observer: options.observer,
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
      inflight++;
      const generation = current;
      handle(generation, req, res);
    },
  );
  server.on('clientError', onClientError);

  function handle(g: Generation, req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (!path.startsWith('/')) path = absolutePath(path);
    if (g.settings.router.remove_extra_slash) path = path.replace(/\/{2,}/g, '/');
    const x = new Exchange(req, res, path, query, g.clientIp.of(req), rt);
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
        x.begin('');
        x.send(405, { Allow: found.allow, 'Content-Type': 'text/plain' }, '405 method not allowed', false);
        return;
      default:
        x.begin('');
        x.send(
          404,
          { 'Content-Type': 'text/plain', 'X-Switchyard-Completed': 'false' },
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
        ? ['431 Request Header Fields Too Large', '431 request header fields too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', '408 request timeout']
          : ['400 Bad Request', '400 bad request'];
    logger.debug({ code: err.code }, 'refused a malformed request');
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`,
    );
  }

  return {
    get address() {
      return address;
    },

    listen() {
      const { port, host } = current.settings;
      return new Promise<GatewayAddress>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          address = { port: a.port, host: a.address };
          logger.info({ host: a.address, port: a.port }, 'gateway listening');
          resolve(address);
        });
      });
    },

    reload(config) {
      const settings = resolveSettings(config, overrides);
      const next = compile(config, settings, pools, logger);
      const previous = current;
      current = next;
      for (const key of ['port', 'host', 'maxHeaderBytes'] as const) {
        if (settings[key] !== previous.settings[key])
          logger.warn({ setting: key }, 'this setting changes only on restart');
      }
      pools.retain(next.routes.origins, previous.routes.maxTimeoutMs + 1000);
      logger.info({ endpoints: config.endpoints?.length ?? 0 }, 'configuration reloaded');
    },

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
        await pools.close(grace);
        logger.info('gateway stopped');
      })();
      return closed;
    },
  };
}

function compile(config: GatewayFile, settings: GatewaySettings, pools: Pools, logger: Logger): Generation {
  for (const option of ['use_h2c', 'app_engine'] as const) {
    if (settings.router[option])
      logger.warn({ option: `router.${option}` }, 'not supported by Switchyard; ignored');
  }
  return {
    settings,
    routes: buildRoutes(config, { settings, pools, logger }),
    clientIp: new ClientIp(settings.router),
  };
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

/** An absolute-form request target (`GET http://host/path`): route on its path. */
function absolutePath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return `/${target}`;
  }
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
