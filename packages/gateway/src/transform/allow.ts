import type { Data } from '../backend/decode.js';

type AllowTree = Map<string, AllowTree | true>;

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compiles `allow` dot paths into a tree; a later, longer path narrows an earlier leaf, as in KrakenD. */
export function compileAllow(paths: readonly string[]): AllowTree {
  const root: AllowTree = new Map();
  for (const path of paths) {
    const fields = path.split('.');
    let node = root;
    for (const field of fields.slice(0, -1)) {
      let next = node.get(field);
      if (next === undefined || next === true) {
        next = new Map();
        node.set(field, next);
      }
      node = next;
    }
    node.set(fields[fields.length - 1] as string, true);
  }
  return root;
}

/**
 * Keeps only the allowed fields. A nested path keeps its branch only when the value is an object that
 * still has something allowed in it. Builds a new object (no `delete`, so objects stay fast to encode).
 */
export function pick(tree: AllowTree, data: Data): Data {
  const out: Data = {};
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(data, key)) continue;
    const value = data[key];
    if (sub === true) {
      out[key] = value;
    } else if (isObject(value)) {
      const kept = pick(sub, value);
      for (const _ in kept) {
        out[key] = kept;
        break;
      }
    }
  }
  return out;
}
