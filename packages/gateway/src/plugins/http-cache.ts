import type { IncomingHttpHeaders } from 'node:http';
import type { HttpCacheNamespace } from '@switchyard/config';

export const HTTP_CACHE = 'qos/http-cache';

/** Bounds of one cache when `max_size` / `max_items` are not set. */
export const DEFAULT_CACHE_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CACHE_MAX_ITEMS = 10_000;

/** A stored backend answer, as the backend client decodes it. */
export interface CachedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Entry extends CachedResponse {
  url: string;
  expiresAt: number;
  bytes: number;
}

/**
 * `qos/http-cache`: backend GET answers (status 200) kept in memory as a shared cache (RFC 9111) would
 * keep them. Stored only with an explicit freshness (`s-maxage`, `max-age`, or `Expires`), never with
 * `no-store`, `no-cache` or `private` (the gateway serves many clients), nor `Vary: *`, nor for a request
 * that forwarded `Authorization` unless the answer is `public` or has `s-maxage`. The key is the full
 * backend URL plus the values of the request headers the answer's `Vary` names. Bounded by bytes and
 * entries; the least recently used entries go first.
 */
export class HttpCache {
  private readonly entries = new Map<string, Entry>();
  /** Per URL: the header names its answers vary on, and how many entries it has. */
  private readonly vary = new Map<string, { names: string[]; count: number }>();
  private bytes = 0;
  readonly maxBytes: number;
  readonly maxItems: number;

  constructor(cfg: HttpCacheNamespace) {
    this.maxBytes = cfg.max_size ?? DEFAULT_CACHE_MAX_BYTES;
    this.maxItems = cfg.max_items ?? DEFAULT_CACHE_MAX_ITEMS;
  }

  get size(): { items: number; bytes: number } {
    return { items: this.entries.size, bytes: this.bytes };
  }

  /** A fresh stored answer for this GET, or null. `sent` is the flat [name, value, …] request header list. */
  get(url: string, sent: readonly string[]): CachedResponse | null {
    const v = this.vary.get(url);
    if (!v) return null;
    const key = keyOf(url, v.names, sent);
    const e = this.entries.get(key);
    if (!e) return null;
    if (Date.now() >= e.expiresAt) {
      this.remove(key, e);
      return null;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** Stores the answer when its headers allow it. */
  put(
    url: string,
    sent: readonly string[],
    status: number,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): void {
    if (status !== 200) return;
    const cc = directives(headers['cache-control']);
    if (cc.has('no-store') || cc.has('no-cache') || cc.has('private')) return;
    const varyHeader = list(headers.vary);
    if (varyHeader.includes('*')) return;
    const sMaxAge = seconds(cc.get('s-maxage'));
    if (headerOf(sent, 'authorization') !== undefined && sMaxAge === null && !cc.has('public')) return;
    const lifetime = sMaxAge ?? seconds(cc.get('max-age')) ?? expiresLifetime(headers);
    const age = seconds(one(headers.age)) ?? 0;
    if (lifetime === null || lifetime <= age) return;
    const names = varyHeader.map((n) => n.toLowerCase()).sort();
    const key = keyOf(url, names, sent);
    const bytes = body.length + key.length + approxHeaderBytes(headers);
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const v = this.vary.get(url);
    if (v) {
      v.names = names;
      v.count++;
    } else this.vary.set(url, { names, count: 1 });
    this.entries.set(key, {
      url,
      status,
      headers,
      body,
      bytes,
      expiresAt: Date.now() + (lifetime - age) * 1000,
    });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxItems) break;
      this.remove(k, e);
    }
  }

  private remove(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
    const v = this.vary.get(e.url);
    if (v && --v.count === 0) this.vary.delete(e.url);
  }
}

function keyOf(url: string, names: readonly string[], sent: readonly string[]): string {
  let key = url;
  for (const n of names) key += `\n${n}:${headerOf(sent, n) ?? ''}`;
  return key;
}

function headerOf(sent: readonly string[], name: string): string | undefined {
  for (let i = 0; i < sent.length; i += 2) if ((sent[i] as string).toLowerCase() === name) return sent[i + 1];
  return undefined;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

function list(v: string | string[] | undefined): string[] {
  const s = one(v);
  return s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
    : [];
}

/** Cache-Control directives, names lower-cased, values unquoted. */
function directives(v: string | string[] | undefined): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const d of list(v)) {
    const eq = d.indexOf('=');
    if (eq < 0) out.set(d.toLowerCase(), undefined);
    else
      out.set(
        d.slice(0, eq).trim().toLowerCase(),
        d
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
  }
  return out;
}

function seconds(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** Freshness from `Expires` (relative to the backend's `Date` when given); 0 when it cannot be read. */
function expiresLifetime(headers: IncomingHttpHeaders): number | null {
  const expires = one(headers.expires);
  if (expires === undefined) return null;
  const at = Date.parse(expires);
  if (Number.isNaN(at)) return 0;
  const date = Date.parse(one(headers.date) ?? '');
  return Math.floor((at - (Number.isNaN(date) ? Date.now() : date)) / 1000);
}

function approxHeaderBytes(headers: IncomingHttpHeaders): number {
  let n = 0;
  for (const k in headers) n += k.length + (one(headers[k]) ?? '').length + 4;
  return n;
}
