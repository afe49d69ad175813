import { REDACTED, redactQuery, redactUrl } from '@switchyard/shared';
import { parseQuery, type RecordCursor } from '../handoff/records.js';
import type { EventPolicy } from '../policy.js';

// The `data` of `request` and `response` events written as JSON straight from a hand-off record, with no
// data object built and no JSON.stringify of one: keys in the order EventPolicy builds them (so the text
// is byte for byte what JSON.stringify of that object gives), numbers as JSON writes them, and only the
// variable strings escaped, each by JSON.stringify. The cursor stands after the record's request id.

const str = JSON.stringify as (value: string) => string;

/** A number as JSON.stringify writes it (NaN and the infinities become null). */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/**
 * A name that an object would not keep in insertion order (an array index goes first) or not keep at all
 * (`__proto__`): a record with one is written through the object form instead.
 */
function unordered(name: string): boolean {
  const c = name.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || name === '__proto__';
}

/** The query's JSON, parsed and redacted as the object form does (rarely more than a few names). */
function queryJson(raw: string, hide: ReadonlySet<string>): string {
  return raw === '' ? '{}' : JSON.stringify(redactQuery(parseQuery(raw), hide));
}

/**
 * A `request` event's data; undefined when a header name needs the object form (see `unordered`). Headers
 * are redacted and capped in bytes as EventPolicy.requestData does.
 */
export function requestDataJson(c: RecordCursor, requestId: string, p: EventPolicy): string | undefined {
  const method = c.str();
  const path = c.str();
  const endpoint = c.str();
  const query = c.str();
  const clientIp = c.str();
  const bodyBytes = c.f64();
  let omitted = c.u32();
  const count = c.u32();
  let headers = '';
  let room = p.maxHeaderBytes;
  for (let i = 0; i < count; i++) {
    const name = c.str();
    if (unordered(name)) return undefined;
    const hidden = p.hideHeaders.has(name.toLowerCase());
    let size = name.length;
    let valueJson: string;
    if (c.u8() === 0) {
      const v = c.str();
      valueJson = str(hidden ? REDACTED : v);
      size += hidden ? REDACTED.length : v.length;
    } else {
      let items = '';
      for (let k = 0, n = c.u32(); k < n; k++) {
        const v = c.str();
        size += v.length;
        items += k === 0 ? str(v) : `,${str(v)}`;
      }
      valueJson = hidden ? str(REDACTED) : `[${items}]`;
      if (hidden) size = name.length + REDACTED.length;
    }
    if (size > room) {
      omitted++;
      continue;
    }
    room -= size;
    headers += `${headers === '' ? '' : ','}${str(name)}:${valueJson}`;
  }
  return (
    `{"request_id":${str(requestId)},"method":${str(method)},"path":${str(redactUrl(path, p.hideQuery))}` +
    `,"endpoint":${str(endpoint)},"query":${queryJson(query, p.hideQuery)},"client_ip":${str(clientIp)}` +
    `,"headers":{${headers}},"body_bytes":${num(bodyBytes)}${omitted > 0 ? `,"headers_omitted":${omitted}` : ''}}`
  );
}

/** A `response` event's data, backend URLs redacted as EventPolicy.responseData does. */
export function responseDataJson(c: RecordCursor, requestId: string, p: EventPolicy): string {
  const method = c.str();
  const path = c.str();
  const endpoint = c.str();
  const status = c.u32();
  const latency = c.f64();
  const bytes = c.f64();
  const completed = c.u8() === 1;
  let backends = '';
  for (let i = 0, n = c.u32(); i < n; i++) {
    const url = c.str();
    const m = c.str();
    const s = c.i32();
    const ms = c.f64();
    const error = c.u8() === 1 ? `,"error":${str(c.str())}` : '';
    backends +=
      `${i === 0 ? '' : ','}{"url":${str(redactUrl(url, p.hideQuery))},"method":${str(m)}` +
      `,"status":${s < 0 ? 'null' : s},"latency_ms":${num(ms)}${error}}`;
  }
  return (
    `{"request_id":${str(requestId)},"method":${str(method)},"path":${str(redactUrl(path, p.hideQuery))}` +
    `,"endpoint":${str(endpoint)},"status":${status},"latency_ms":${num(latency)},"bytes":${num(bytes)}` +
    `,"completed":${completed},"backends":[${backends}]}`
  );
}
