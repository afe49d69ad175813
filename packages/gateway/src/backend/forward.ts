import type { ProxyRequest } from '../pipeline/types.js';
import { USER_AGENT } from '../settings.js';
import { notForwarded } from './hop-by-hop.js';

/**
 * Which client headers reach the backends: `input_headers` (KrakenD's default is Content-Type only;
 * `*` forwards all but hop-by-hop ones), narrowed by a backend-level `input_headers`. X-Forwarded-For,
 * X-Forwarded-Host and the User-Agent are always set, as KrakenD sets them.
 */
export class HeaderPolicy {
  private readonly all: boolean;
  private readonly names: string[];

  constructor(endpointList: readonly string[] | undefined, backendList?: readonly string[]) {
    const list = endpointList && endpointList.length > 0 ? endpointList : ['Content-Type'];
    this.all = list.includes('*');
    let names = list.filter((h) => h !== '*').map((h) => h.toLowerCase());
    if (backendList && backendList.length > 0 && !backendList.includes('*')) {
      const narrow = new Set(backendList.map((h) => h.toLowerCase()));
      if (this.all) {
        this.all = false;
        names = [...narrow];
      } else {
        names = names.filter((n) => narrow.has(n));
      }
    }
    this.names = names.filter((n) => !notForwarded(n));
  }

  /** Flat [name, value, …] list for undici. */
  build(req: ProxyRequest): string[] {
    const out: string[] = [];
    const h = req.headers;
    if (this.all) {
      for (const name in h) {
        const value = h[name];
        if (
          value === undefined ||
          notForwarded(name) ||
          name === 'x-forwarded-for' ||
          name === 'x-forwarded-host'
        ) {
          continue;
        }
        out.push(name, Array.isArray(value) ? value.join(', ') : value);
      }
    } else {
      for (const name of this.names) {
        const value = h[name];
        if (value !== undefined) out.push(name, Array.isArray(value) ? value.join(', ') : value);
      }
    }
    out.push('x-forwarded-for', req.clientIp, 'x-forwarded-host', req.host);
    if ((this.all || this.names.includes('user-agent')) && h['user-agent'] !== undefined) {
      out.push('x-forwarded-via', USER_AGENT);
    } else {
      out.push('user-agent', USER_AGENT);
    }
    return out;
  }
}

/** Go's url.QueryEscape: only A–Z, a–z, 0–9 and `-_.~` stay as they are; a space is `+`. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Which query parameters reach the backends: those in `input_query_strings` (none by default, `*` for
 * all), appended after any query the url_pattern has. Encoded as lura encodes them (Go's url.Values:
 * keys sorted, each key's values in their order, QueryEscape'd), whatever the client's order and escapes.
 */
export class QueryPolicy {
  private readonly all: boolean;
  private readonly names: string[];

  constructor(endpointList: readonly string[] | undefined, backendList?: readonly string[]) {
    const list = endpointList ?? [];
    this.all = list.includes('*');
    let names = list.filter((q) => q !== '*');
    if (backendList && backendList.length > 0 && !backendList.includes('*')) {
      const narrow = new Set(backendList);
      if (this.all) {
        this.all = false;
        names = [...narrow];
      } else {
        names = names.filter((n) => narrow.has(n));
      }
    }
    this.names = [...new Set(names)].sort();
  }

  get empty(): boolean {
    return !this.all && this.names.length === 0;
  }

  /** The query string to forward, without `?` ('' when none). */
  build(rawQuery: string): string {
    if (rawQuery === '' || this.empty) return '';
    const params = new URLSearchParams(rawQuery);
    const keys = this.all ? [...new Set(params.keys())].sort() : this.names;
    let out = '';
    for (const key of keys) {
      for (const value of params.getAll(key)) {
        out += `${out ? '&' : ''}${goQueryEscape(key)}=${goQueryEscape(value)}`;
      }
    }
    return out;
  }
}
