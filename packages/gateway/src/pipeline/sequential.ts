import type { Data } from '../backend/decode.js';
import type { SequentialSlot } from '../backend/target.js';
import { MergeAccumulator } from './merge.js';
import type { ProxyRequest, ProxyResponse, ProxyResult, Stage } from './types.js';

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(data: Data, path: readonly string[]): unknown {
  let node: Data = data;
  for (const field of path.slice(0, -1)) {
    const next = node[field];
    if (!isObject(next)) return undefined;
    node = next;
  }
  return node[path[path.length - 1] as string];
}

const text = (v: unknown) => (typeof v === 'string' ? v : isObject(v) ? JSON.stringify(v) : String(v ?? ''));

/** A value for a url_pattern: percent-encoded; the items of an array joined with commas, as in KrakenD. */
function placeholderValue(v: unknown): string {
  if (Array.isArray(v)) return v.map((item) => encodeURIComponent(text(item))).join(',');
  return encodeURIComponent(text(v));
}

/**
 * `proxy.sequential`: backends are called one after the other; backend N's url_pattern can use fields of
 * earlier answers (`{resp0_user.id}`). A failure of the first backend fails the request; a later failure
 * (or an incomplete answer) stops the chain with what was merged so far.
 */
export function sequentialMerge(parts: readonly Stage[], slots: readonly SequentialSlot[][]): Stage {
  return async (req: ProxyRequest): Promise<ProxyResult> => {
    const acc = new MergeAccumulator(parts.length);
    const answers: (ProxyResponse | undefined)[] = [];
    const values = new Map<string, string>();
    for (let i = 0; i < parts.length; i++) {
      for (const slot of slots[i] ?? []) {
        const source = answers[slot.backend];
        if (values.has(slot.key) || !source) continue;
        const v = valueAt(source.data, slot.path);
        if (v !== undefined) values.set(slot.key, placeholderValue(v));
      }
      const result = await (parts[i] as Stage)(i === 0 ? req : { ...req, sequential: values });
      if (result.error || !result.response) {
        if (i === 0) return result;
        acc.add(result);
        break;
      }
      acc.add(result);
      if (!result.response.complete) break;
      answers[i] = result.response;
    }
    return acc.result();
  };
}
