import { SwitchyardError } from '@switchyard/shared';
import { escapedPath } from './escaped-path.js';

interface Route<H> {
  handler: H;
  pattern: string;
  paramNames: readonly string[];
}

class Node<H> {
  readonly statics = new Map<string, Node<H>>();
  param: Node<H> | null = null;
  /** A trailing `*` segment: matches the rest of the path. */
  rest: Node<H> | null = null;
  routes: Map<string, Route<H>> | null = null;
}

export type Lookup<H> =
  | { kind: 'found'; route: Route<H>; params: string[] }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'method'; allow: string }
  | { kind: 'none' };

const NO_PARAMS: string[] = [];
const PARAM = /^\{([^{}]+)\}$/;
const NONE: Lookup<never> = { kind: 'none' };

/**
 * Routes compiled once: fully static paths sit in one map (one lookup per request); paths with `{param}`
 * segments (or a final `*`, for the built-in routes) in a segment trie where a static segment wins over a
 * parameter, with backtracking. Method
 * handling follows gin as KrakenD configures it: a path known for other methods is a 405 with `Allow`,
 * a path that only differs by a trailing slash, or by letter case and `.`/`..`/`//` segments, is
 * redirected (301 for GET, 307 otherwise).
 */
export class Router<H> {
  private readonly root = new Node<H>();
  private readonly exact = new Map<string, Node<H>>();
  private readonly methods: string[] = [];

  constructor(
    private readonly redirectTrailingSlash = true,
    private readonly redirectFixedPath = true,
  ) {}

  add(method: string, pattern: string, handler: H): void {
    if (!pattern.startsWith('/')) {
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `endpoint ${JSON.stringify(pattern)}: must start with /`,
      );
    }
    const paramNames: string[] = [];
    let node = this.root;
    const segs = pattern.slice(1).split('/');
    for (const [i, seg] of segs.entries()) {
      const param = PARAM.exec(seg);
      if (seg === '*' && i === segs.length - 1) {
        node.rest ??= new Node<H>();
        node = node.rest;
      } else if (param) {
        paramNames.push(param[1] as string);
        node.param ??= new Node<H>();
        node = node.param;
      } else {
        let next = node.statics.get(seg);
        if (!next) {
          next = new Node<H>();
          node.statics.set(seg, next);
        }
        node = next;
      }
    }
    node.routes ??= new Map();
    const existing = node.routes.get(method);
    if (existing) {
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `endpoint ${method} ${pattern}: conflicts with ${method} ${existing.pattern} (both match the same paths)`,
      );
    }
    node.routes.set(method, { handler, pattern, paramNames });
    if (paramNames.length === 0 && !pattern.endsWith('/*')) this.exact.set(pattern, node);
    if (!this.methods.includes(method)) this.methods.push(method);
  }

  /** `path` is the raw request path, without the query string. */
  lookup(method: string, path: string): Lookup<H> {
    const exact = this.exact.get(path)?.routes?.get(method);
    if (exact) return { kind: 'found', route: exact, params: NO_PARAMS };
    const params: string[] = [];
    const route = this.match(method, path, params);
    if (route) return { kind: 'found', route, params };
    // gin looks for a redirect only within the request method's routes, and never for / or CONNECT.
    if (path !== '/' && method !== 'CONNECT' && this.methods.includes(method)) {
      const status = method === 'GET' ? 301 : 307;
      if (this.redirectTrailingSlash && path.length > 1) {
        const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
        if (this.match(method, other, [])) return { kind: 'redirect', location: redirectPath(other), status };
      }
      if (this.redirectFixedPath) {
        const fixed = this.fixedPath(method, cleanPath(path));
        if (fixed !== null) return { kind: 'redirect', location: redirectPath(fixed), status };
      }
    }
    const allow = this.methods.filter((m) => m !== method && this.match(m, path, []) !== null);
    return allow.length > 0 ? { kind: 'method', allow: allow.join(', ') } : NONE;
  }

  /**
   * gin's RedirectFixedPath: the path of a route that matches `path` when letter case is ignored (static
   * segments take the route's case, parameters keep the request's), or with a trailing slash added or
   * removed; null when none does.
   */
  private fixedPath(method: string, path: string): string | null {
    const segs = path.slice(1).split('/');
    const found = fold(this.root, segs, 0, method);
    if (found) return `/${found.join('/')}`;
    if (!this.redirectTrailingSlash || path === '/') return null;
    const other = path.endsWith('/') ? segs.slice(0, -1) : [...segs, ''];
    const again = fold(this.root, other, 0, method);
    return again ? `/${again.join('/')}` : null;
  }

  private match(method: string, path: string, params: string[]): Route<H> | null {
    if (!path.startsWith('/')) return null;
    return walk(this.root, path.slice(1).split('/'), 0, method, params);
  }
}

function walk<H>(
  node: Node<H>,
  segs: string[],
  i: number,
  method: string,
  params: string[],
): Route<H> | null {
  if (i === segs.length) return node.routes?.get(method) ?? null;
  const seg = segs[i] as string;
  const child = node.statics.get(seg) ?? (seg.includes('%') ? node.statics.get(safeDecode(seg)) : undefined);
  if (child) {
    const found = walk(child, segs, i + 1, method, params);
    if (found) return found;
  }
  if (node.param && seg !== '') {
    params.push(seg);
    const found = walk(node.param, segs, i + 1, method, params);
    if (found) return found;
    params.pop();
  }
  return node.rest?.routes?.get(method) ?? null;
}

function safeDecode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** Case-insensitive walk: the route's spelling of the segments that matched, or null. */
function fold<H>(node: Node<H>, segs: string[], i: number, method: string): string[] | null {
  if (i === segs.length) return node.routes?.has(method) ? [] : null;
  const seg = segs[i] as string;
  const lower = seg.toLowerCase();
  for (const [key, child] of node.statics) {
    if (key.toLowerCase() !== lower) continue;
    const rest = fold(child, segs, i + 1, method);
    if (rest) return [key, ...rest];
  }
  if (node.param && seg !== '') {
    const rest = fold(node.param, segs, i + 1, method);
    if (rest) return [seg, ...rest];
  }
  return node.rest?.routes?.has(method) ? segs.slice(i) : null;
}

/**
 * The Location of a router redirect, as gin and `http.Redirect` write it: the escaped path, cleaned
 * (`http.Redirect` runs `path.Clean`), so it never starts with `//` or `/\` (read by browsers as
 * another host).
 */
function redirectPath(path: string): string {
  return cleanPath(escapedPath(path));
}

/** gin's cleanPath: path.Clean that keeps a trailing slash (no `.`, `..` or repeated slashes). */
export function cleanPath(path: string): string {
  const out: string[] = [];
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  const trailing = out.length > 0 && path.endsWith('/');
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}
