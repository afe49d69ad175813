import type { RouteHandler } from '../request/exchange.js';
import { readTextBody } from './debug.js';

// Go's canonical header form (what KrakenD's echo shows): content-type → Content-Type.
const canonical = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** `/__echo/*` (with echo_endpoint): answers with what the gateway received, as KrakenD's echo does. */
export function echoHandler(maxBodyBytes: number): RouteHandler {
  return async (x) => {
    x.begin('/__echo/*');
    const body = await readTextBody(x, maxBodyBytes);
    if (body === undefined) return;
    const params = new URLSearchParams(x.query);
    params.sort();
    const querystring: Record<string, string[]> = {};
    for (const [k, v] of params) {
      querystring[k] ??= [];
      querystring[k].push(v);
    }
    const headers: Record<string, string[]> = {};
    const raw = x.req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = canonical((raw[i] as string).toLowerCase());
      if (name === 'Host') continue;
      headers[name] ??= [];
      headers[name].push(raw[i + 1] as string);
    }
    const answer = {
      req_uri: x.req.url,
      req_uri_details: {
        scheme: '',
        user: '',
        host: x.req.headers.host ?? '',
        path: safeDecode(x.path),
        query: params.toString(),
        fragment: '',
      },
      req_method: x.req.method,
      req_querystring: querystring,
      req_body: body,
      req_headers: headers,
    };
    x.send(200, { 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(answer), true);
  };
}
