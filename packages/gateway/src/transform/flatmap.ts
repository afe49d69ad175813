import type { Data } from '../backend/decode.js';

export interface FlatmapOp {
  type: 'move' | 'del' | 'append';
  args: string[];
}

type Container = Data | unknown[];

interface Match {
  parent: Container;
  key: string;
  /** The concrete path that matched (each `*` replaced by the key it stood for). */
  labels: string[];
}

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

function entries(c: Container): string[] {
  return Array.isArray(c) ? c.map((_, i) => String(i)) : Object.keys(c);
}

function child(c: Container, key: string): unknown {
  return Array.isArray(c) ? c[Number(key)] : Object.hasOwn(c, key) ? c[key] : undefined;
}

function has(c: Container, key: string): boolean {
  return Array.isArray(c) ? /^\d+$/.test(key) && Number(key) < c.length : Object.hasOwn(c, key);
}

/** Every place `path` names; `*` stands for every element of an array or field of an object. */
function collect(root: Data, path: readonly string[]): Match[] {
  let level: { node: Container; labels: string[] }[] = [{ node: root, labels: [] }];
  for (const step of path.slice(0, -1)) {
    const next: typeof level = [];
    for (const { node, labels } of level) {
      for (const key of step === '*' ? entries(node) : [step]) {
        const value = child(node, key);
        if (isContainer(value)) next.push({ node: value, labels: [...labels, key] });
      }
    }
    level = next;
  }
  const last = path[path.length - 1] as string;
  const out: Match[] = [];
  for (const { node, labels } of level) {
    for (const key of last === '*' ? entries(node) : [last]) {
      if (has(node, key)) out.push({ parent: node, key, labels: [...labels, key] });
    }
  }
  return out;
}

/** Removes the matches; array elements go from the highest index down so the others keep theirs. */
function remove(matches: readonly Match[]): void {
  for (const m of [...matches].reverse()) {
    if (Array.isArray(m.parent)) m.parent.splice(Number(m.key), 1);
    else delete m.parent[m.key];
  }
}

/** The destination of one match: each `*` of `dst` takes the key `*` matched at the same depth. */
function concrete(dst: readonly string[], labels: readonly string[]): string[] {
  return dst.map((step, i) => (step === '*' ? (labels[i] ?? step) : step));
}

function get(root: Data, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const step of path) {
    if (!isContainer(node)) return undefined;
    node = child(node, step);
  }
  return node;
}

function set(root: Data, path: readonly string[], value: unknown): void {
  let node: Container = root;
  for (const step of path.slice(0, -1)) {
    let next = child(node, step);
    if (!isContainer(next)) {
      next = {};
      if (Array.isArray(node)) node[Number(step)] = next;
      else node[step] = next;
    }
    node = next as Container;
  }
  const last = path[path.length - 1] as string;
  if (Array.isArray(node)) node[Number(last)] = value;
  else node[last] = value;
}

/**
 * KrakenD's `flatmap_filter`: `del` removes, `move` renames, extracts or embeds, `append` adds the items of
 * one list to another; `*` in a path goes over every element of a list.
 */
export function compileFlatmap(ops: readonly FlatmapOp[]): (data: Data) => Data {
  const compiled = ops.map((op) => ({ type: op.type, args: op.args.map((a) => a.split('.')) }));
  return (data) => {
    for (const op of compiled) {
      const [src, dst] = op.args as [string[], string[] | undefined];
      if (op.type === 'del') {
        for (const path of op.args) remove(collect(data, path));
        continue;
      }
      if (!dst) continue;
      const matches = collect(data, src);
      const moves = matches.map((m) => ({ to: concrete(dst, m.labels), value: child(m.parent, m.key) }));
      remove(matches);
      for (const { to, value } of moves) {
        if (op.type === 'move') {
          set(data, to, value);
        } else {
          const current = get(data, to);
          const list = Array.isArray(current) ? current : current === undefined ? [] : [current];
          list.push(...(Array.isArray(value) ? value : [value]));
          set(data, to, list);
        }
      }
    }
    return data;
  };
}
