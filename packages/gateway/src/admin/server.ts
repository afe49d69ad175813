import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bearerCheck,
  closeUnreadBody,
  EVENT_TYPES,
  type EventType,
  isLoopbackHost,
  isSwitchyardError,
  type Logger,
  SwitchyardError,
} from '@switchyard/shared';
import type { EventHub } from '../events/hub.js';
import { parseListenAddress } from './listen-address.js';
import { SseStream } from './sse-stream.js';

export interface AdminServerOptions {
  hub: EventHub;
  /** host:port; loopback unless configured otherwise. */
  listen?: string;
  /** When set, every route requires `Authorization: Bearer <token>`. */
  token?: string;
  /** The body of `GET /__health`; a `status` of `down` answers 503. */
  health: () => object;
  /** The body of `GET /metrics` (Prometheus text); the route is absent without it. */
  metrics?: () => string | Promise<string>;
  logger?: Logger;
  /** SSE comment interval. */
  heartbeatMs?: number;
  /** An SSE client that accepts no bytes for this long is disconnected. */
  stallTimeoutMs?: number;
  /** Open `GET /__events` streams at most; one more is answered 503 SWY_ADMIN_BUSY. */
  maxStreams?: number;
}

export interface AdminServer {
  /** Binds the listener; resolves with the bound address. */
  start(): Promise<{ host: string; port: number; url: string }>;
  /** Ends every event stream and closes the listener. */
  close(): Promise<void>;
  /** Open `GET /__events` streams. */
  readonly streams: number;
}

export const ADMIN_DEFAULTS = {
  listen: '127.0.0.1:8091',
  heartbeatMs: 15_000,
  stallTimeoutMs: 30_000,
  // Each stream holds up to a write chunk (64 KiB) beyond its socket buffer: 3,000 clients that never read
  // took 500 MB and stalled the admin listener. Event consumers are a handful of proxies and tails.
  maxStreams: 64,
} as const;

// A refused stream's client should come back: soon enough for a consumer, not in a tight loop.
const BUSY_RETRY_AFTER_S = 5;

const ROUTES = new Set(['/__health', '/__events', '/metrics']);
const MAX_ID_LENGTH = 128;

function sendError(res: ServerResponse, err: SwitchyardError, headers: Record<string, string> = {}): void {
  res.writeHead(err.status ?? 500, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(err));
}

const badRequest = (message: string) => new SwitchyardError('SWY_INVALID_ARGUMENT', message, { status: 400 });

function parseTypes(value: string | null): Set<EventType> | undefined {
  if (value === null || value.trim() === '') return undefined;
  const types = new Set<EventType>();
  for (const raw of value.split(',')) {
    const t = raw.trim();
    if (!(EVENT_TYPES as readonly string[]).includes(t)) {
      throw badRequest(`types: unknown event type ${JSON.stringify(t)} (expected ${EVENT_TYPES.join(', ')})`);
    }
    types.add(t as EventType);
  }
  return types;
}

/**
 * The gateway's admin listener: `GET /__health`, `GET /metrics` and `GET /__events`, a Server-Sent Events
 * stream of envelopes (`id:` = event id, `event:` = event type) resumable with `Last-Event-ID` (or
 * `?last_event_id=`) from the hub's ring. Query: `types=request,response` filters; `from=oldest` replays
 * the ring when no id is given (default: new events only).
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { hub, logger } = options;
  const address = parseListenAddress(options.listen ?? ADMIN_DEFAULTS.listen);
  const authorized = options.token ? bearerCheck(options.token) : undefined;
  const stallTimeoutMs = options.stallTimeoutMs ?? ADMIN_DEFAULTS.stallTimeoutMs;
  const maxStreams = options.maxStreams ?? ADMIN_DEFAULTS.maxStreams;
  const streams = new Set<SseStream>();

  function openStream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    if (streams.size >= maxStreams) {
      const err = new SwitchyardError(
        'SWY_ADMIN_BUSY',
        `${streams.size} event streams are open, the most this admin listener serves (admin.max_streams)`,
        { details: { max_streams: maxStreams } },
      );
      // Closed, so a refused client holds no connection while it waits to come back.
      sendError(res, err, { 'retry-after': String(BUSY_RETRY_AFTER_S), connection: 'close' });
      return;
    }
    const types = parseTypes(query.get('types'));
    const from = query.get('from') ?? 'now';
    if (from !== 'now' && from !== 'oldest')
      throw badRequest(`from: expected "now" or "oldest", got "${from}"`);
    const header = req.headers['last-event-id'];
    const lastId =
      (typeof header === 'string' ? header : (query.get('last_event_id') ?? '')).trim() || undefined;
    if (lastId && lastId.length > MAX_ID_LENGTH) throw badRequest('Last-Event-ID is too long');
    const stream: SseStream = new SseStream({
      hub,
      res,
      lastId,
      fromOldest: from === 'oldest',
      types,
      stallTimeoutMs,
      logger,
      onClose: () => streams.delete(stream),
    });
    streams.add(stream);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (authorized && !authorized(req.headers.authorization)) {
      const err = new SwitchyardError('SWY_UNAUTHORIZED', 'the admin API requires a valid bearer token');
      return sendError(res, err, { 'www-authenticate': 'Bearer realm="switchyard-admin"' });
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    if (!ROUTES.has(path) || (path === '/metrics' && !options.metrics)) {
      return sendError(res, new SwitchyardError('SWY_ROUTE_NOT_FOUND', `no admin route ${path}`));
    }
    if (req.method !== 'GET') {
      const err = new SwitchyardError('SWY_METHOD_NOT_ALLOWED', `${path} accepts GET only`);
      return sendError(res, err, { allow: 'GET' });
    }
    if (path === '/__events') return openStream(req, res, url.searchParams);
    if (path === '/metrics') {
      const text = await (options.metrics as () => string | Promise<string>)();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return;
    }
    const body = options.health();
    const down = (body as { status?: unknown }).status === 'down';
    res.writeHead(down ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    closeUnreadBody(req, res);
    handle(req, res).catch((err: unknown) => {
      if (isSwitchyardError(err) && err.status !== undefined && err.status < 500) {
        return sendError(res, err);
      }
      logger?.error({ err, path: (req.url ?? '/').split('?', 1)[0] }, 'admin request failed');
      if (!res.headersSent) sendError(res, new SwitchyardError('SWY_INTERNAL', 'admin request failed'));
      else res.destroy();
    });
  });
  // The only requests here are small GETs: bound how long one may take to arrive.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  let heartbeat: NodeJS.Timeout | undefined;

  return {
    get streams() {
      return streams.size;
    },

    start() {
      // As `check --lint` warns: the event stream carries request data to anyone who can reach it.
      if (!options.token && !isLoopbackHost(address.host)) {
        logger?.warn(
          { listen: `${address.host}:${address.port}`, hint: 'set admin.token, or listen on 127.0.0.1' },
          'the admin API listens beyond loopback without a token',
        );
      }
      return new Promise((resolve, reject) => {
        const onError = (err: Error) =>
          reject(
            new SwitchyardError(
              'SWY_LISTEN_FAILED',
              `admin listener on ${address.host}:${address.port}: ${err.message}`,
              { cause: err },
            ),
          );
        server.once('error', onError);
        server.listen(address.port, address.host, () => {
          server.off('error', onError);
          heartbeat = setInterval(() => {
            for (const s of streams) s.heartbeat();
          }, options.heartbeatMs ?? ADMIN_DEFAULTS.heartbeatMs);
          heartbeat.unref();
          const bound = server.address() as AddressInfo;
          const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
          resolve({ host: bound.address, port: bound.port, url: `http://${host}:${bound.port}` });
        });
      });
    },

    close() {
      clearInterval(heartbeat);
      for (const s of streams) s.close();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
