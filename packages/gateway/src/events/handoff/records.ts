import type { IncomingHttpHeaders } from 'node:http';
import type { BackendCall, NodeHealthData, PluginUpdatedData } from '@switchyard/shared';
import type { RequestInfo, ResponseInfo } from '../observer.js';
import { cutError } from '../policy.js';
import { KIND, RECORD_HEADER } from './layout.js';
import type { HandoffWriter } from './writer.js';

/**
 * The raw facts of a request as the request thread has them: the query unparsed, the headers as Node
 * parsed them (read, never copied or changed). The event worker turns them into a `request` event.
 */
export interface RequestFacts {
  request_id: string;
  method: string;
  path: string;
  endpoint: string;
  /** The raw query string, without `?`. */
  query: string;
  client_ip: string;
  headers: IncomingHttpHeaders;
  body_bytes: number;
}

/** A request record: its facts, headers beyond `maxHeaderBytes` (name + value) left out and counted. */
export function writeRequest(w: HandoffWriter, f: RequestFacts, at: number, maxHeaderBytes: number): boolean {
  w.begin(KIND.request)
    .f64(at)
    .str(f.request_id)
    .str(f.method)
    .str(f.path)
    .str(f.endpoint)
    .str(f.query)
    .str(f.client_ip)
    .f64(f.body_bytes);
  // One pass over the headers: the counts go in front once known.
  const counts = w.reserveU32();
  const written = w.reserveU32();
  let room = maxHeaderBytes;
  let omitted = 0;
  let kept = 0;
  const headers = f.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const size = name.length + (typeof value === 'string' ? value.length : value.join('').length);
    if (size > room) {
      omitted++;
      continue;
    }
    room -= size;
    kept++;
    w.str(name);
    if (typeof value === 'string') w.u8(0).str(value);
    else {
      w.u8(1).u32(value.length);
      for (const v of value) w.str(v);
    }
  }
  w.patchU32(counts, omitted);
  w.patchU32(written, kept);
  return w.commit();
}

export function writeResponse(w: HandoffWriter, f: RequestFacts, res: ResponseInfo, at: number): boolean {
  w.begin(KIND.response)
    .f64(at)
    .str(f.request_id)
    .str(f.method)
    .str(f.path)
    .str(f.endpoint)
    .u32(res.status)
    .f64(res.latency_ms)
    .f64(res.bytes)
    .u8(res.completed ? 1 : 0)
    .u32(res.backends.length);
  for (const b of res.backends) {
    w.str(b.url)
      .str(b.method)
      .i32(b.status ?? -1)
      .f64(b.latency_ms);
    if (b.error === undefined) w.u8(0);
    // Cut here too, not only in the event: a large body would outgrow the record and lose the event.
    else w.u8(1).str(cutError(b.error));
  }
  return w.commit();
}

/** Rare records (a reload, a breaker moving, the health timer) carry their data as JSON. */
export function writeJsonRecord(
  w: HandoffWriter,
  kind: typeof KIND.plugin | typeof KIND.health,
  data: PluginUpdatedData | NodeHealthData,
  at: number,
): boolean {
  return w.begin(kind).f64(at).str(JSON.stringify(data)).commit();
}

export type DecodedRecord =
  | { kind: typeof KIND.request; at: number; req: RequestInfo }
  | { kind: typeof KIND.response; at: number; req: RequestInfo; res: ResponseInfo }
  | { kind: typeof KIND.plugin; at: number; data: PluginUpdatedData }
  | { kind: typeof KIND.health; at: number; data: NodeHealthData };

/**
 * Reads records written above (in the event worker). One cursor is reset per record rather than made anew,
 * so reading a record allocates only the strings it yields.
 */
export class RecordCursor {
  private b: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Where the string passed over by `skipStr` lies in `bytes`. */
  start = 0;
  end = 0;
  get bytes(): Buffer {
    return this.b;
  }
  reset(b: Buffer, pos: number): this {
    this.b = b;
    this.pos = pos;
    return this;
  }
  u8(): number {
    return this.b[this.pos++] as number;
  }
  u32(): number {
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.b.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  /** Passes over a string, leaving its UTF-8 bytes between `start` and `end` (to be copied, not decoded). */
  skipStr(): void {
    const n = this.u32();
    this.start = this.pos;
    this.pos += n;
    this.end = this.pos;
  }
  str(): string {
    const n = this.u32();
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

export function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (raw === '') return query;
  for (const [k, v] of new URLSearchParams(raw)) {
    // Own names only: `constructor` is not an earlier value, and `__proto__` is a name, not the prototype.
    const prev = Object.hasOwn(query, k) ? query[k] : undefined;
    const value = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    Object.defineProperty(query, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return query;
}

export function readRecord(bytes: Buffer): DecodedRecord {
  const kind = bytes[0];
  const c = new RecordCursor().reset(bytes, RECORD_HEADER);
  const at = c.f64();
  if (kind === KIND.plugin || kind === KIND.health) {
    const data = JSON.parse(c.str());
    return { kind, at, data } as DecodedRecord;
  }
  const request_id = c.str();
  const method = c.str();
  const path = c.str();
  const endpoint = c.str();
  if (kind === KIND.request) {
    const query = parseQuery(c.str());
    const client_ip = c.str();
    const body_bytes = c.f64();
    const omitted = c.u32();
    const count = c.u32();
    const headers: Record<string, string | string[]> = {};
    for (let i = 0; i < count; i++) {
      const name = c.str();
      if (c.u8() === 0) headers[name] = c.str();
      else {
        const values: string[] = [];
        for (let n = c.u32(); n > 0; n--) values.push(c.str());
        headers[name] = values;
      }
    }
    const req: RequestInfo = { request_id, method, path, endpoint, query, client_ip, headers, body_bytes };
    if (omitted > 0) req.headers_omitted = omitted;
    return { kind, at, req };
  }
  if (kind !== KIND.response) throw new Error(`unknown hand-off record kind ${kind}`);
  const status = c.u32();
  const latency_ms = c.f64();
  const bytesOut = c.f64();
  const completed = c.u8() === 1;
  const backends: BackendCall[] = [];
  for (let n = c.u32(); n > 0; n--) {
    const url = c.str();
    const m = c.str();
    const s = c.i32();
    const latency = c.f64();
    const call: BackendCall = { url, method: m, status: s < 0 ? null : s, latency_ms: latency };
    if (c.u8() === 1) call.error = c.str();
    backends.push(call);
  }
  const req: RequestInfo = {
    request_id,
    method,
    path,
    endpoint,
    query: {},
    client_ip: '',
    headers: {},
    body_bytes: 0,
  };
  return { kind, at, req, res: { status, latency_ms, bytes: bytesOut, completed, backends } };
}
