import type { RateLimitProxyNamespace } from '@switchyard/config';
import { parseDuration } from '@switchyard/shared';
import { backendError } from '../errors/status.js';
import type { ProxyRequest, Stage } from '../pipeline/types.js';
import { TokenBucket } from './token-bucket.js';

export const RATELIMIT_PROXY = 'qos/ratelimit/proxy';

/**
 * `qos/ratelimit/proxy`: one token bucket per backend entry (`max_rate` per `every` [1s], `capacity` [1]).
 * A call over the limit is not made and fails at once with krakend-ratelimit's text, like any backend failure: 500 for a lone backend,
 * a partial answer in a merge. Per gateway node.
 */
export function withProxyLimit(
  cfg: RateLimitProxyNamespace,
  url: string,
  method: string,
  next: Stage,
): Stage {
  const bucket = new TokenBucket(cfg.capacity || 1, cfg.max_rate, parseDuration(cfg.every ?? '1s'));
  return (req: ProxyRequest) => {
    if (bucket.take()) return next(req);
    const error = backendError('SWY_BACKEND_RATE_LIMITED', 'ERROR: rate limit exceeded', { url });
    req.trace?.push({ url, method, status: null, latency_ms: 0, error: error.message });
    return Promise.resolve({ response: null, error });
  };
}
