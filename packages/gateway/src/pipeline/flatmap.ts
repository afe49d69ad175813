import { compileFlatmap, type FlatmapOp } from '../transform/flatmap.js';
import type { Stage } from './types.js';

/** Endpoint-level `flatmap_filter` (KrakenD applies it to merges only, and not when a backend failed). */
export function withFlatmap(next: Stage, ops: FlatmapOp[]): Stage {
  const apply = compileFlatmap(ops);
  return async (req) => {
    const result = await next(req);
    if (result.error || !result.response) return result;
    result.response.data = apply(result.response.data);
    return result;
  };
}
