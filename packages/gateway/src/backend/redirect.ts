import { buildConnector, Client, type Dispatcher } from 'undici';
import { goRequestPrefix } from '../errors/classify.js';
import { backendError } from '../errors/status.js';
import type { OwnListeners } from './own-listeners.js';
import type { Pools } from './pools.js';

/** Go's client gives up after this many redirects (`stopped after 10 redirects`). */
export const MAX_REDIRECTS = 10;

const REDIRECT = new Set([301, 302, 303, 307, 308]);
const SENSITIVE = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);

/** One request of a redirect chain. */
export interface Hop {
  url: string;
  method: string;
  body: Buffer | null;
  /** Flat [name, value, …] list, as undici takes it. */
  headers: string[];
}

/** Whether an answer is a redirect Go's client would look at (the Location is checked by nextHop). */
export const isRedirect = (status: number): boolean => REDIRECT.has(status);

/**
 * The request Go's net/http client makes after a redirect, or null when it hands the 3xx back instead:
 * 301/302/303 go on without a body (anything but GET or HEAD becomes GET), 307/308 keep method and body,
 * except that a body that cannot be replayed (lura's, unless `send_body_on_redirect`) stops there.
 * Headers are copied, with a Referer naming the previous URL; credentials only reach the first request's
 * host and its subdomains. A redirect to the gateway's own admin listener or built-in routes (`own`) is
 * not followed either: the 3xx is the answer.
 */
export function nextHop(
  status: number,
  location: string | undefined,
  prev: Hop,
  first: Hop,
  replayBody: boolean,
  own?: OwnListeners,
): Hop | null {
  if (!location) return null;
  let target: URL;
  try {
    target = new URL(location, prev.url);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  if (own?.refuses(target)) return null;
  target.hash = '';
  let method = prev.method;
  let body = prev.body;
  if (status === 307 || status === 308) {
    if (body && body.length > 0 && !replayBody) return null;
  } else {
    body = null;
    if (method !== 'GET' && method !== 'HEAD') method = 'GET';
  }
  const firstHost = new URL(first.url).hostname;
  const keepCredentials = target.hostname === firstHost || target.hostname.endsWith(`.${firstHost}`);
  const headers: string[] = [];
  let explicitReferer = false;
  for (let i = 0; i < first.headers.length; i += 2) {
    const name = (first.headers[i] as string).toLowerCase();
    if (name === 'referer') explicitReferer = true;
    if (!keepCredentials && SENSITIVE.has(name)) continue;
    headers.push(first.headers[i] as string, first.headers[i + 1] as string);
  }
  if (!explicitReferer) {
    const from = new URL(prev.url);
    if (!(from.protocol === 'https:' && target.protocol === 'http:')) {
      from.username = '';
      from.password = '';
      headers.push('referer', from.href);
    }
  }
  return { url: target.href, method, body, headers };
}

/** The error after too many redirects, worded as Go's client words it. */
export function tooManyRedirects(method: string, url: string): Error {
  return backendError(
    'SWY_BACKEND_TOO_MANY_REDIRECTS',
    `${goRequestPrefix(method, url)}: stopped after ${MAX_REDIRECTS} redirects`,
    { url },
  );
}

/** Where one hop of a redirect chain goes, and how. */
export interface HopDispatch {
  dispatcher: Dispatcher;
  options: Dispatcher.DispatchOptions;
  /** Call once the request is dispatched: closes a one-request client when its request has finished. */
  done: () => void;
}

/**
 * A redirected request goes to the shared pool when its origin is one the gateway already calls, else to
 * a one-request client with the pools' options (a backend cannot make the gateway keep pools for origins
 * it names); undici's close waits for the request dispatched to it. That client checks the address it
 * connected to, so a host name that resolves to the gateway's own listener is refused too.
 */
export function dispatchHop(pools: Pools, hop: Hop): HopDispatch {
  const target = new URL(hop.url);
  const options: Dispatcher.DispatchOptions = {
    origin: target.origin,
    path: target.pathname + target.search,
    method: hop.method as Dispatcher.HttpMethod,
    headers: hop.headers,
    body: hop.body,
  };
  const pool = pools.existing(target.origin);
  if (pool) return { dispatcher: pool, options, done: () => undefined };
  const client = new Client(target.origin, {
    ...pools.clientOptions,
    pipelining: 0,
    connect: guardedConnector(pools, options.path),
  });
  return { dispatcher: client, options, done: () => void client.close().catch(() => undefined) };
}

/** undici's connector, refusing a connection that reached the gateway's own listener for `path`. */
function guardedConnector(pools: Pools, path: string): buildConnector.connector {
  const connect = buildConnector(pools.connectOptions);
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      const { remoteAddress, remotePort } = socket;
      if (remoteAddress && remotePort && pools.own.reaches(remoteAddress, remotePort, path)) {
        socket.destroy();
        return callback(new Error("redirect to the gateway's own listener refused"), null);
      }
      callback(null, socket);
    });
}
