import type { Backend } from '@switchyard/config';
import { type Data, hasKeys } from '../backend/decode.js';
import { compileAllow, pick } from './allow.js';
import { compileFlatmap, type FlatmapOp } from './flatmap.js';

/** Reshapes one backend's data; null from compile means there is nothing to do. */
export type Transform = (data: Data) => Data;

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

function extractTarget(path: readonly string[], data: Data): Data {
  let current = data;
  for (const field of path) {
    const next = current[field];
    if (!isObject(next)) return {};
    current = next;
  }
  return current;
}

/** A deny tree: null marks a field to delete, a subtree one to go into. */
type DenyTree = Map<string, DenyTree | null>;

function addDenyPath(tree: DenyTree, path: readonly string[]): void {
  const [first, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    tree.set(first, null);
    return;
  }
  const existing = tree.get(first);
  if (existing === null) return; // the whole field is already denied
  const child = existing ?? new Map();
  tree.set(first, child);
  addDenyPath(child, rest);
}

function deny(tree: DenyTree, data: Data): void {
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(data, key)) continue;
    if (sub === null) delete data[key];
    else {
      const value = data[key];
      if (isObject(value)) deny(sub, value);
    }
  }
}

/** lura's deny: dot paths of any depth; an object emptied by it stays, as `{}`. */
function compileDeny(paths: readonly string[]): Transform {
  const tree: DenyTree = new Map();
  for (const path of paths) addDenyPath(tree, path.split('.'));
  return (data) => {
    deny(tree, data);
    return data;
  };
}

function compileMapping(mapping: Record<string, string>): Transform {
  // Only the first segment of the new name counts, as in KrakenD. A renamed field replaces a field that
  // already had the new name.
  const renames = Object.entries(mapping).map(([from, to]) => [from, to.split('.')[0] as string] as const);
  const sources = new Set(renames.map(([from]) => from));
  return (data) => {
    const out: Data = {};
    for (const key in data) if (!sources.has(key)) out[key] = data[key];
    for (const [from, to] of renames) if (Object.hasOwn(data, from)) out[to] = data[from];
    return out;
  };
}

/**
 * KrakenD's per-backend data manipulation, in its order: target → allow or deny (allow wins) → mapping →
 * group. With a backend-level `flatmap_filter`, its operations replace allow/deny/mapping.
 */
export function compileFormatter(backend: Backend, flatmap: FlatmapOp[] | undefined): Transform | null {
  const target = backend.target ? backend.target.split('.') : null;
  const group = backend.group || null;
  let filter: Transform | null = null;
  let mapping: Transform | null = null;
  if (flatmap && flatmap.length > 0) {
    filter = compileFlatmap(flatmap);
  } else {
    if (backend.allow && backend.allow.length > 0) {
      const tree = compileAllow(backend.allow);
      filter = (data) => pick(tree, data);
    } else if (backend.deny && backend.deny.length > 0) {
      filter = compileDeny(backend.deny);
    }
    if (backend.mapping && Object.keys(backend.mapping).length > 0) mapping = compileMapping(backend.mapping);
  }
  if (!target && !group && !filter && !mapping) return null;
  return (data) => {
    if (target) data = extractTarget(target, data);
    if (filter && hasKeys(data)) data = filter(data);
    if (mapping && hasKeys(data)) data = mapping(data);
    return group ? { [group]: data } : data;
  };
}
