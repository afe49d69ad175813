import type { RateLimitProxyNamespace } from '@switchyard/config';
import { parseDuration } from '@switchyard/shared';
import { backendError } from '../errors/status.js';
import type { ProxyRequest, ProxyResult, Stage } from '../pipeline/types.js';
import { type SharedStore, sharedTake, type Take } from './redis/shared-bucket.js';
import { TokenBucket } from './token-bucket.js';

export const RATELIMIT_PROXY = 'qos/ratelimit/proxy';
export const RATELIMIT_PROXY_REDIS = 'qos/ratelimit/proxy/redis';

/**
 * `qos/ratelimit/proxy`: one token bucket per backend entry (`max_rate` per `every` [1s], `capacity` [1]).
 * A call over the limit is not made and fails at once with krakend-ratelimit's text, like any backend
 * failure: 500 for a lone backend, a partial answer in a merge. Per gateway node; with a `store`
 * (`qos/ratelimit/proxy/redis`) the bucket lives in Redis, shared by every node, this node's own bucket
 * deciding while Redis does not answer.
 */
export function withProxyLimit(
  cfg: RateLimitProxyNamespace,
  url: string,
  method: string,
  next: Stage,
  store?: SharedStore,
): Stage {
  const capacity = cfg.capacity || 1;
  const everyMs = parseDuration(cfg.every ?? '1s');
  const bucket = new TokenBucket(capacity, cfg.max_rate, everyMs);
  const local: Take = () => bucket.take();
  const take = store ? sharedTake(store, capacity, cfg.max_rate, everyMs, local) : local;
  const refuse = (req: ProxyRequest): Promise<ProxyResult> => {
    const error = backendError('SWY_BACKEND_RATE_LIMITED', 'ERROR: rate limit exceeded', { url });
    req.trace?.push({ url, method, status: null, latency_ms: 0, error: error.message });
    return Promise.resolve({ response: null, error });
  };
  return (req: ProxyRequest) => {
    const taken = take('');
    if (taken === true) return next(req);
    if (taken === false) return refuse(req);
    return taken.then((ok) => (ok ? next(req) : refuse(req)));
  };
}
