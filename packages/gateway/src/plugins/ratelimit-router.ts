import type { RateLimitRouterNamespace } from '@switchyard/config';
import { parseDuration, SwitchyardError } from '@switchyard/shared';
import type { Exchange } from '../request/exchange.js';
import { type SharedStore, sharedTake, type Take } from './redis/shared-bucket.js';
import { ClientBuckets, defaultCapacity, TokenBucket } from './token-bucket.js';

export const RATELIMIT_ROUTER = 'qos/ratelimit/router';
export const RATELIMIT_ROUTER_REDIS = 'qos/ratelimit/router/redis';

/** Clients remembered per endpoint; beyond it the least recently seen one is forgotten. */
export const MAX_TRACKED_CLIENTS = 100_000;

/** Admits a request (true) or answers it itself (false); `params` are the decoded `{param}` values. */
export type EndpointGuard = (x: Exchange, params: readonly string[]) => boolean | Promise<boolean>;

type ClientOf = (x: Exchange, params: readonly string[]) => string;

/**
 * `qos/ratelimit/router`, as krakend-ratelimit: a bucket for the whole endpoint (`max_rate`, 503 when
 * empty) and one per client (`client_max_rate`, 429), the client found by IP, a header or a path param
 * (`strategy`, `key`). A request without the header or param is refused with 429, as KrakenD does.
 * Limits are per gateway node; with a `store` (`qos/ratelimit/router/redis`) the buckets live in Redis and
 * are shared by every node, each node's own buckets deciding while Redis does not answer.
 */
export function compileRouterLimit(
  cfg: RateLimitRouterNamespace,
  where: string,
  names: readonly string[],
  store?: SharedStore,
): EndpointGuard | null {
  const everyMs = parseDuration(cfg.every ?? '1s');
  let global: Take | null = null;
  if (cfg.max_rate) {
    const capacity = cfg.capacity || defaultCapacity(cfg.max_rate);
    const bucket = new TokenBucket(capacity, cfg.max_rate, everyMs);
    const local: Take = () => bucket.take();
    global = store
      ? sharedTake({ ...store, scope: `${store.scope}:endpoint` }, capacity, cfg.max_rate, everyMs, local)
      : local;
  }
  let clients: Take | null = null;
  let clientOf: ClientOf | null = null;
  if (cfg.client_max_rate) {
    const rate = cfg.client_max_rate;
    const capacity = cfg.client_capacity || defaultCapacity(rate);
    const buckets = new ClientBuckets(() => new TokenBucket(capacity, rate, everyMs), MAX_TRACKED_CLIENTS);
    const local: Take = (key) => buckets.take(key);
    clients = store
      ? sharedTake({ ...store, scope: `${store.scope}:client` }, capacity, rate, everyMs, local)
      : local;
    clientOf = clientKey(cfg, where, names);
  }
  if (!global && !clients) return null;
  const perClient = (x: Exchange, params: readonly string[]): boolean | Promise<boolean> => {
    if (!clients || !clientOf) return true;
    const key = clientOf(x, params);
    return key === '' ? tooMany(x) : decide(clients(key), x, 429);
  };
  return (x, params) => {
    if (!global) return perClient(x, params);
    const admitted = decide(global(''), x, 503);
    if (admitted === false) return false;
    if (admitted === true) return perClient(x, params);
    return admitted.then((ok) => ok && perClient(x, params));
  };
}

/** Answers `status` when the bucket refused; keeps a sync decision sync. */
function decide(taken: boolean | Promise<boolean>, x: Exchange, status: number): boolean | Promise<boolean> {
  if (taken === true) return true;
  if (taken === false) return refuse(x, status);
  return taken.then((ok) => ok || refuse(x, status));
}

function refuse(x: Exchange, status: number): false {
  x.send(status, {}, null, false);
  return false;
}

const tooMany = (x: Exchange) => refuse(x, 429);

function clientKey(cfg: RateLimitRouterNamespace, where: string, names: readonly string[]): ClientOf {
  const strategy = cfg.strategy ?? 'ip';
  if (strategy === 'ip') return (x) => x.clientIp;
  const key = cfg.key;
  if (!key)
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where} ${RATELIMIT_ROUTER}: strategy ${strategy} needs "key" (the ${strategy} name)`,
    );
  if (strategy === 'header') {
    const name = key.toLowerCase();
    return (x) => {
      const v = x.req.headers[name];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
  }
  const i = names.indexOf(key);
  if (i < 0)
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where} ${RATELIMIT_ROUTER}: strategy param needs {${key}} in the endpoint path`,
    );
  return (_x, params) => params[i] ?? '';
}
