import type { IncomingHttpHeaders } from 'node:http';
import { canonicalHeader, Handles, need } from './handles.js';
import type { LuaBridge } from './vm.js';

/** The request as the router-level script changes it; the endpoint is built from it. */
export interface RouterView {
  path: string;
  query: string;
  host: string;
  headers: IncomingHttpHeaders;
  params: string[];
  body: Buffer | null;
}

const unsupported = (what: string) => new Error(`${what} is not supported by Switchyard`);

/** krakend-lua's `ctx` (the gin context): the client's request, before the endpoint handler sees it. */
export class RouterBridge extends Handles implements LuaBridge {
  constructor(
    private readonly method: string,
    readonly view: RouterView,
    private readonly names: readonly string[],
  ) {
    super();
  }

  override call(op: string, h: number, argc: number, a: unknown, b: unknown): unknown {
    if (!op.startsWith('ctx.')) return super.call(op, h, argc, a, b);
    const v = this.view;
    const method = op.slice(4);
    switch (method) {
      case 'load':
        return { __kind: 'ctx', h: 0 };
      case 'method':
        if (argc > 0) throw unsupported('ctx:method(value)');
        return this.method;
      case 'url': {
        if (argc === 0) return v.query ? `${v.path}?${v.query}` : v.path;
        // After routing, a new URL changes what the endpoint reads of it: its query.
        const url = new URL(String(a), 'http://gateway.invalid');
        v.query = url.search.slice(1);
        return undefined;
      }
      case 'host':
        if (argc > 0) v.host = String(a);
        else return v.host;
        return undefined;
      case 'query': {
        need(argc, 1);
        const q = new URLSearchParams(v.query);
        if (argc === 1) return q.get(String(a)) ?? '';
        q.set(String(a), String(b));
        v.query = q.toString();
        return undefined;
      }
      case 'params': {
        if (argc === 0) return this.push(Object.fromEntries(this.names.map((n, i) => [n, v.params[i]])));
        const i = this.names.indexOf(String(a));
        if (argc === 1) return i === -1 ? '' : v.params[i];
        if (i !== -1) v.params[i] = String(b);
        return undefined;
      }
      case 'headers': {
        if (argc === 0) {
          const all: Record<string, string[]> = {};
          for (const [k, val] of Object.entries(v.headers))
            if (val !== undefined) all[canonicalHeader(k)] = Array.isArray(val) ? [...val] : [val];
          return this.push(all);
        }
        const name = String(a).toLowerCase();
        if (argc === 1) {
          const val = v.headers[name];
          return Array.isArray(val) ? (val[0] ?? '') : (val ?? '');
        }
        if (b === undefined || b === null) delete v.headers[name];
        else v.headers[name] = String(b);
        return undefined;
      }
      case 'headerList': {
        need(argc, 1);
        const name = String(a).toLowerCase();
        if (argc === 1) {
          const val = v.headers[name];
          return this.push(val === undefined ? [] : Array.isArray(val) ? [...val] : [val]);
        }
        const list = this.resolve(b);
        if (!Array.isArray(list)) throw new Error('invalid header value, must be a luaList');
        v.headers[name] = list.map(String);
        return undefined;
      }
      case 'body':
        if (argc > 0) v.body = Buffer.from(String(a));
        else return v.body?.toString('utf8') ?? '';
        return undefined;
      default:
        throw unsupported(`ctx:${method}()`);
    }
  }
}
