import type { Data } from '../backend/decode.js';
import type { SequentialSlot } from '../backend/target.js';
import { MergeAccumulator } from './merge.js';
import type { ProxyRequest, ProxyResponse, ProxyResult, Stage } from './types.js';

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * lura's lookup of `{respN_a.b.c}`: it walks down through objects while it can (an array, a scalar or a
 * missing field stops the walk where it is) and reads the last name in the object it stopped at.
 */
function valueAt(data: Data, path: readonly string[]): unknown {
  let node: Data = data;
  for (const field of path.slice(0, -1)) {
    const next = node[field];
    if (!isObject(next)) break;
    node = next;
  }
  const last = path[path.length - 1] as string;
  return Object.hasOwn(node, last) ? node[last] : undefined;
}

/** Go's `%v` of a decoded JSON value, as lura writes it into a url_pattern. */
function goText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goText).join(' ')}]`;
  if (isObject(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goText(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** A value for a url_pattern: percent-encoded; the items of an array joined with commas, as lura does. */
function placeholderValue(v: unknown): string {
  if (Array.isArray(v)) return v.map((item) => encodeURIComponent(goText(item))).join(',');
  return encodeURIComponent(goText(v));
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
