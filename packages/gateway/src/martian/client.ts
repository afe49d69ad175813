import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { BufferedCall } from '../backend/call.js';
import { BackendClient, type BackendClientOptions } from '../backend/client.js';
import type { Pools } from '../backend/pools.js';
import type { ProxyRequest } from '../pipeline/types.js';
import type { MartianRequest, MartianResponse, Modifier } from './modifiers.js';

function toMap(flat: readonly string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) {
    const k = (flat[i] as string).toLowerCase();
    m.set(k, [...(m.get(k) ?? []), flat[i + 1] as string]);
  }
  return m;
}

function toFlat(m: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [k, vs] of m) for (const v of vs) out.push(k, v);
  return out;
}

/**
 * A backend whose HTTP request and response pass through `modifier/martian`, as krakend-martian wraps
 * the request executor: the request after the gateway built it, the response before it is decoded.
 */
export class MartianClient extends BackendClient {
  constructor(
    o: BackendClientOptions,
    pools: Pools,
    private readonly modifier: Modifier,
  ) {
    super(o, pools);
  }

  override dispatchOptions(req: ProxyRequest, path: string): Dispatcher.DispatchOptions {
    const options = super.dispatchOptions(req, path);
    const modify = this.modifier.request;
    if (!modify) return options;
    const q = path.indexOf('?');
    const m: MartianRequest = {
      path: q === -1 ? path : path.slice(0, q),
      query: new URLSearchParams(q === -1 ? '' : path.slice(q + 1)),
      port: '',
      headers: toMap(options.headers as string[]),
      body: req.body,
    };
    modify(m);
    const query = m.query.toString();
    return {
      ...options,
      path: query ? `${m.path}?${query}` : m.path,
      headers: toFlat(m.headers),
      body: m.body,
    };
  }

  protected override async send(
    req: ProxyRequest,
    dispatcher: Parameters<BackendClient['send']>[1],
    options: Dispatcher.DispatchOptions,
    url: string,
  ): Promise<BufferedCall> {
    const call = await super.send(req, dispatcher, options, url);
    const modify = this.modifier.response;
    if (!modify || call.error) return call;
    const headers = new Map<string, string[]>();
    for (const [k, v] of Object.entries(call.headers))
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v : [v]);
    const m: MartianResponse = { status: call.status, headers, body: call.body };
    modify(m);
    call.status = m.status;
    const out: IncomingHttpHeaders = {};
    for (const [k, v] of m.headers) out[k] = k === 'set-cookie' ? v : v.join(', ');
    call.headers = out;
    if (m.body !== call.body) call.replaceBody(m.body);
    return call;
  }
}
