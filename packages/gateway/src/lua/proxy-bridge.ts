import type { ProxyRequest, ProxyResponse } from '../pipeline/types.js';
import { canonicalHeader, Handles, need } from './handles.js';
import type { LuaBridge } from './vm.js';

/** What a proxy-level script reads and changes of the request. */
export type ScriptedRequest = Pick<ProxyRequest, 'method' | 'query' | 'params' | 'headers' | 'body'>;

/** lura's proxy.Request params: the first letter of a `{param}` name upper-cased. */
export const luraParam = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** What krakend-lua's `response` reads and writes beyond the data: headers the client gets, a status. */
interface Metadata {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

const unsupported = (what: string) => new Error(`${what} is not supported by Switchyard`);

/** The bridge of one request at the proxy level: its `request` before the call, its `response` after. */
export class ProxyBridge extends Handles implements LuaBridge {
  response: ProxyResponse | null = null;
  meta: Metadata = { status: 0, headers: {}, body: '' };

  constructor(
    readonly req: ScriptedRequest,
    private readonly params: readonly string[],
  ) {
    super();
  }

  override call(op: string, h: number, argc: number, a: unknown, b: unknown): unknown {
    const [kind, method] = op.split('.') as [string, string];
    if (kind === 'request') return this.request(method, argc, a, b);
    if (kind === 'response') return this.responseOp(method, argc, a, b);
    return super.call(op, h, argc, a, b);
  }

  private request(method: string, argc: number, a: unknown, b: unknown): unknown {
    const req = this.req;
    switch (method) {
      case 'load':
        return { __kind: 'request', h: 0 };
      case 'method':
        if (argc > 0) throw unsupported('request:method(value)');
        return req.method;
      case 'query':
        if (argc > 0) req.query = String(a);
        else return req.query;
        return undefined;
      case 'params': {
        if (argc === 0)
          return this.push(Object.fromEntries(this.params.map((n, i) => [luraParam(n), req.params[i]])));
        const i = this.params.findIndex((n) => luraParam(n) === String(a));
        if (argc === 1) return i === -1 ? '' : req.params[i];
        if (i !== -1) req.params[i] = String(b);
        return undefined;
      }
      case 'headers': {
        if (argc === 0) return this.push(headerTable(req.headers));
        const name = String(a).toLowerCase();
        if (argc === 1) {
          const v = req.headers[name];
          return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
        }
        if (b === undefined || b === null) delete req.headers[name];
        else req.headers[name] = String(b);
        return undefined;
      }
      case 'headerList': {
        need(argc, 1);
        const name = String(a).toLowerCase();
        if (argc === 1) {
          const v = req.headers[name];
          return this.push(v === undefined ? [] : Array.isArray(v) ? [...v] : [v]);
        }
        const list = this.resolve(b);
        if (!Array.isArray(list)) throw new Error('invalid header value, must be a luaList');
        req.headers[name] = list.map(String);
        return undefined;
      }
      case 'body':
        if (argc > 0) req.body = Buffer.from(String(a));
        else return req.body?.toString('utf8') ?? '';
        return undefined;
      default:
        throw unsupported(`request:${method}()`);
    }
  }

  private responseOp(method: string, argc: number, a: unknown, b: unknown): unknown {
    const meta = this.meta;
    switch (method) {
      case 'load':
        return { __kind: 'response', h: 0 };
      case 'isComplete':
        if (argc > 0) (this.response as ProxyResponse).complete = a === true;
        else return (this.response as ProxyResponse).complete;
        return undefined;
      case 'statusCode':
        if (argc > 0) meta.status = Math.trunc(Number(a));
        else return meta.status;
        return undefined;
      case 'data':
        return this.push((this.response as ProxyResponse).data);
      case 'headers': {
        if (argc === 0) return this.push(meta.headers);
        const name = canonicalHeader(String(a));
        if (argc === 1) return meta.headers[String(a)]?.[0] ?? meta.headers[name]?.[0] ?? '';
        if (b === undefined || b === null) delete meta.headers[name];
        else meta.headers[name] = [String(b)];
        return undefined;
      }
      case 'headerList': {
        need(argc, 1);
        const name = canonicalHeader(String(a));
        if (argc === 1) return this.push([...(meta.headers[name] ?? [])]);
        const list = this.resolve(b);
        if (!Array.isArray(list)) throw new Error('invalid header value, must be a luaList');
        meta.headers[name] = list.map(String);
        return undefined;
      }
      case 'body':
        // Only a no-op response has a body in KrakenD; an encoded one is rendered from its data.
        if (argc > 0) meta.body = String(a);
        else return meta.body;
        return undefined;
      default:
        throw unsupported(`response:${method}()`);
    }
  }
}

/** A request's headers as krakend-lua shows them: canonical names, each with its list of values. */
function headerTable(headers: ScriptedRequest['headers']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[canonicalHeader(k)] = Array.isArray(v) ? [...v] : [v];
  return out;
}
