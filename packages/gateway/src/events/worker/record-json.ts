import { REDACTED, redactQuery, redactUrl, redactUrlsIn, type SensitiveNames } from '@switchyard/shared';
import { parseQuery, type RecordCursor } from '../handoff/records.js';
import type { EventPolicy } from '../policy.js';
import { HeaderNames, HIDDEN, UNORDERED } from './header-names.js';
import type { JsonBytes } from './json-bytes.js';
import { urlKeptAsIs, writePlainQuery } from './query-bytes.js';

// The `data` of `request` and `response` events written as JSON straight from a hand-off record, with no
// data object built and no JSON.stringify of one: keys in the order EventPolicy builds them (so the text
// is byte for byte what JSON.stringify of that object gives), numbers as JSON writes them, strings copied
// from the record as they are unless JSON escapes them. The cursor stands after the record's request id.

let table: HeaderNames | undefined;
let tableOf: EventPolicy | undefined;

/** The header names table of policy `p` (a reload makes a new policy, and a new table). */
function headerNames(p: EventPolicy): HeaderNames {
  if (tableOf !== p || table === undefined) {
    table = new HeaderNames(p.hideHeaders);
    tableOf = p;
  }
  return table;
}

/** The next string of the record, copied as a JSON string; returns its length in UTF-16 units. */
function copy(w: JsonBytes, c: RecordCursor): number {
  c.skipStr();
  return w.utf8(c.bytes, c.start, c.end);
}

/**
 * A URL or path, with hidden query values and passwords redacted: copied as bytes when redactUrl would
 * keep it as it is (most paths and backend URLs).
 */
function url(w: JsonBytes, c: RecordCursor, hide: SensitiveNames): void {
  c.skipStr();
  const { bytes, start, end } = c;
  if (urlKeptAsIs(bytes, start, end, hide)) w.utf8(bytes, start, end);
  else w.str(redactUrl(bytes.toString('utf8', start, end), hide));
}

/**
 * A `request` event's data; false (with `w` half written) when a header name needs the object form (see
 * UNORDERED). Headers are redacted and capped in bytes as EventPolicy.requestData does.
 */
export function writeRequestData(w: JsonBytes, c: RecordCursor, requestId: string, p: EventPolicy): boolean {
  w.ascii('{"request_id":').str(requestId).ascii(',"method":');
  copy(w, c);
  w.ascii(',"path":');
  url(w, c, p.hideQuery);
  w.ascii(',"endpoint":');
  copy(w, c);
  c.skipStr();
  w.ascii(',"query":');
  if (!writePlainQuery(w, c.bytes, c.start, c.end, p.hideQuery)) {
    const query = parseQuery(c.bytes.toString('utf8', c.start, c.end));
    w.text(JSON.stringify(redactQuery(query, p.hideQuery)));
  }
  w.ascii(',"client_ip":');
  copy(w, c);
  const bodyBytes = c.f64();
  let omitted = c.u32();
  const count = c.u32();
  w.ascii(',"headers":{');
  let room = p.maxHeaderBytes;
  let first = true;
  const names = headerNames(p);
  for (let i = 0; i < count; i++) {
    c.skipStr();
    const flags = names.of(c.bytes, c.start, c.end);
    if ((flags & UNORDERED) !== 0) return false;
    const hidden = (flags & HIDDEN) !== 0;
    // The size of a value is known once read: a header over the cap is written, then taken back.
    const mark = w.mark();
    if (!first) w.ascii(',');
    let size = w.utf8(c.bytes, c.start, c.end);
    w.ascii(':');
    if (c.u8() === 0) {
      if (hidden) {
        c.skipStr();
        w.ascii('"[REDACTED]"');
        size += REDACTED.length;
      } else size += copy(w, c);
    } else {
      const n = c.u32();
      if (!hidden) w.ascii('[');
      for (let k = 0; k < n; k++) {
        if (hidden) {
          c.skipStr();
          continue;
        }
        if (k > 0) w.ascii(',');
        size += copy(w, c);
      }
      if (hidden) {
        w.ascii('"[REDACTED]"');
        size += REDACTED.length;
      } else w.ascii(']');
    }
    if (size > room) {
      w.back(mark);
      omitted++;
      continue;
    }
    room -= size;
    first = false;
  }
  w.ascii('},"body_bytes":').num(bodyBytes);
  if (omitted > 0) w.ascii(',"headers_omitted":').num(omitted);
  w.ascii('}');
  return true;
}

/** A `response` event's data, backend URLs (also in error texts) redacted as EventPolicy.responseData does. */
export function writeResponseData(w: JsonBytes, c: RecordCursor, requestId: string, p: EventPolicy): void {
  w.ascii('{"request_id":').str(requestId).ascii(',"method":');
  copy(w, c);
  w.ascii(',"path":');
  url(w, c, p.hideQuery);
  w.ascii(',"endpoint":');
  copy(w, c);
  w.ascii(',"status":').num(c.u32());
  w.ascii(',"latency_ms":').num(c.f64());
  w.ascii(',"bytes":').num(c.f64());
  w.ascii(c.u8() === 1 ? ',"completed":true,"backends":[' : ',"completed":false,"backends":[');
  for (let i = 0, n = c.u32(); i < n; i++) {
    w.ascii(i === 0 ? '{"url":' : ',{"url":');
    url(w, c, p.hideQuery);
    w.ascii(',"method":');
    copy(w, c);
    const status = c.i32();
    w.ascii(',"status":');
    if (status < 0) w.ascii('null');
    else w.num(status);
    w.ascii(',"latency_ms":').num(c.f64());
    if (c.u8() === 1) {
      // Go's wording names the call's URL: redacted as `url` is.
      w.ascii(',"error":').str(redactUrlsIn(c.str(), p.hideQuery));
    }
    w.ascii('}');
  }
  w.ascii(']}');
}
