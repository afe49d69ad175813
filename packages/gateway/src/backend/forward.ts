import type { ProxyRequest } from '../pipeline/types.js';
import { USER_AGENT } from '../settings.js';
import { connectionTokens, notForwarded } from './hop-by-hop.js';

/**
 * Headers the gateway writes itself: a client's value would let it choose what a backend believes about
 * the client (its address, the host it asked for), so it is never copied.
 */
const OWN = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'forwarded']);

/**
 * Which client headers reach the backends: `input_headers` (KrakenD's default is Content-Type only;
 * `*` forwards all but hop-by-hop ones), narrowed by a backend-level `input_headers`. Never forwarded,
 * even with `*`: hop-by-hop headers, those the client's `Connection` header names, `Content-Length`,
 * `Host` and `Expect`. X-Forwarded-For, X-Forwarded-Host and the User-Agent are always set, as KrakenD
 * sets them; X-Real-IP and Forwarded, when the policy forwards them and the client sent them, carry the
 * gateway's values (the client address it resolved), never the client's. `Accept-Encoding: gzip` is
 * added when no Accept-Encoding is forwarded, as Go's transport adds it (not for HEAD or a Range request,
 * nor with `disable_compression`); it is then the last pair of the list, which `addedGzip` checks.
 */
export class HeaderPolicy {
  private readonly all: boolean;
  private readonly names: string[];

  constructor(
    endpointList: readonly string[] | undefined,
    backendList?: readonly string[],
    /** Add `Accept-Encoding: gzip` (false for HEAD backends and with `disable_compression`). */
    private readonly gzip = true,
  ) {
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
    this.names = [...new Set(names)].filter((n) => !notForwarded(n));
  }

  /** Flat [name, value, …] list for undici. */
  build(req: ProxyRequest): string[] {
    const out: string[] = [];
    const h = req.headers;
    const listed = connectionTokens(h.connection as string | undefined);
    let realIp = false;
    let forwarded = false;
    let acceptEncoding = false;
    const own = req.propagation;
    const copy = (name: string, value: string | string[]) => {
      if (listed?.has(name) || own?.[name] !== undefined) return;
      if (OWN.has(name)) {
        if (name === 'x-real-ip') realIp = true;
        else if (name === 'forwarded') forwarded = true;
        return;
      }
      if (name === 'accept-encoding') acceptEncoding = true;
      out.push(name, Array.isArray(value) ? value.join(', ') : value);
    };
    if (this.all) {
      for (const name in h) {
        const value = h[name];
        if (value !== undefined && !notForwarded(name)) copy(name, value);
      }
    } else {
      for (const name of this.names) {
        const value = h[name];
        if (value !== undefined) copy(name, value);
      }
    }
    // The round trip's trace context, whatever the lists say; the client's is forwarded only when listed.
    if (own) for (const name in own) out.push(name, own[name] as string);
    out.push('x-forwarded-for', req.clientIp, 'x-forwarded-host', req.host);
    if (realIp) out.push('x-real-ip', req.clientIp);
    if (forwarded) out.push('forwarded', forwardedValue(req.clientIp, req.host));
    if ((this.all || this.names.includes('user-agent')) && h['user-agent'] !== undefined) {
      out.push('x-forwarded-via', USER_AGENT);
    } else {
      out.push('user-agent', USER_AGENT);
    }
    if (this.gzip && !acceptEncoding && (h.range === undefined || !this.forwards('range', listed))) {
      out.push('accept-encoding', 'gzip');
    }
    return out;
  }

  /** Whether `build` added the gateway's own `Accept-Encoding: gzip` to this list. */
  static addedGzip(headers: readonly string[]): boolean {
    return headers[headers.length - 2] === 'accept-encoding';
  }

  private forwards(name: string, listed: Set<string> | null): boolean {
    return (this.all || this.names.includes(name)) && !listed?.has(name);
  }
}

/** RFC 7239: an IPv6 address and the host are quoted. */
function forwardedValue(ip: string, host: string): string {
  const node = ip.includes(':') ? `"[${ip}]"` : ip;
  return host ? `for=${node};host=${JSON.stringify(host)}` : `for=${node}`;
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
    // One pass groups the values by key (getAll per key was a pass per key: quadratic in the keys).
    const byKey = new Map<string, string[]>();
    for (const [key, value] of new URLSearchParams(rawQuery)) {
      const values = byKey.get(key);
      if (values) values.push(value);
      else byKey.set(key, [value]);
    }
    const keys = this.all ? [...byKey.keys()].sort() : this.names;
    let out = '';
    for (const key of keys) {
      const values = byKey.get(key);
      if (!values) continue;
      const name = goQueryEscape(key);
      for (const value of values) out += `${out ? '&' : ''}${name}=${goQueryEscape(value)}`;
    }
    return out;
  }
}
