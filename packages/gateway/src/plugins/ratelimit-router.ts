import type { RateLimitRouterNamespace } from '@switchyard/config';
import { parseDuration, SwitchyardError } from '@switchyard/shared';
import type { Exchange } from '../request/exchange.js';
import { ClientBuckets, defaultCapacity, TokenBucket } from './token-bucket.js';

export const RATELIMIT_ROUTER = 'qos/ratelimit/router';

/** Clients remembered per endpoint; beyond it the least recently seen one is forgotten. */
export const MAX_TRACKED_CLIENTS = 100_000;

/** Admits a request (true) or answers it itself (false); `params` are the decoded `{param}` values. */
export type EndpointGuard = (x: Exchange, params: readonly string[]) => boolean | Promise<boolean>;

type ClientOf = (x: Exchange, params: readonly string[]) => string;

/**
 * `qos/ratelimit/router`, as krakend-ratelimit: a bucket for the whole endpoint (`max_rate`, 503 when
 * empty) and one per client (`client_max_rate`, 429), the client found by IP, a header or a path param
 * (`strategy`, `key`). A request without the header or param is refused with 429, as KrakenD does.
 * Limits are per gateway node.
 */
export function compileRouterLimit(
  cfg: RateLimitRouterNamespace,
  where: string,
  names: readonly string[],
): EndpointGuard | null {
  const everyMs = parseDuration(cfg.every ?? '1s');
  const global = cfg.max_rate
    ? new TokenBucket(cfg.capacity || defaultCapacity(cfg.max_rate), cfg.max_rate, everyMs)
    : null;
  let clients: ClientBuckets | null = null;
  let clientOf: ClientOf | null = null;
  if (cfg.client_max_rate) {
    const rate = cfg.client_max_rate;
    const capacity = cfg.client_capacity || defaultCapacity(rate);
    clients = new ClientBuckets(() => new TokenBucket(capacity, rate, everyMs), MAX_TRACKED_CLIENTS);
    clientOf = clientKey(cfg, where, names);
  }
  if (!global && !clients) return null;
  return (x, params) => {
    if (global && !global.take()) {
      x.send(503, {}, null, false);
      return false;
    }
    if (clients && clientOf) {
      const key = clientOf(x, params);
      if (key === '' || !clients.take(key)) {
        x.send(429, {}, null, false);
        return false;
      }
    }
    return true;
  };
}

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
