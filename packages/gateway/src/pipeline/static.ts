import type { ProxyNamespace } from '@switchyard/config';
import type { ProxyResult, Stage } from './types.js';

type Strategy = NonNullable<ProxyNamespace['static']>['strategy'];

const MATCH: Record<Strategy, (r: ProxyResult) => boolean> = {
  always: () => true,
  success: (r) => r.error === null,
  errored: (r) => r.error !== null,
  complete: (r) => r.error === null && r.response !== null && r.response.complete,
  incomplete: (r) => r.response === null || !r.response.complete,
};

/** `proxy.static`: adds fixed data to the answer when the strategy matches how the backends did. */
export function withStatic(next: Stage, config: NonNullable<ProxyNamespace['static']>): Stage {
  const match = MATCH[config.strategy];
  const entries = Object.entries(config.data);
  return async (req) => {
    const result = await next(req);
    if (!match(result)) return result;
    const response = result.response ?? { data: {}, complete: false };
    for (const [k, v] of entries) response.data[k] = v;
    return { response, error: result.error };
  };
}
