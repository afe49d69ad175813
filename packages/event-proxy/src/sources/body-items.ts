import { isUtf8 } from 'node:buffer';
import { SwitchyardError } from '@switchyard/shared';

/** One value taken from a request body, with where it was. */
export interface BodyItem {
  index: number;
  /** 1-based line, for NDJSON. */
  line?: number;
  /** Bytes of an NDJSON record (array elements are parsed with their array, so they have none). */
  bytes?: number;
  value: unknown;
}

/** An item of the body: a JSON value, or an NDJSON line that is not JSON (reported, while the others go on). */
export type BodyEntry =
  | { kind: 'item'; item: BodyItem }
  | { kind: 'unparsable'; index: number; line: number; bytes: number; reason: string };

export interface SplitBody {
  /** Items in the body (NDJSON lines that are not blank, array elements, or 1). */
  count: number;
  /** The items one by one, parsed as they are taken: a caller can pause between them. */
  entries(): Iterable<BodyEntry>;
}

// Error texts quote the input; a bound keeps a 400 answer small whatever the body.
const MAX_REASON_CHARS = 200;
const clip = (text: string) =>
  text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;

const NL = 0x0a;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === NL;

function tooMany(maxItems: number, what: string): SwitchyardError {
  return new SwitchyardError(
    'SWY_INGEST_TOO_MANY_ITEMS',
    `the request body holds more than ${maxItems} ${what}; nothing was taken: send at most ${maxItems} per request`,
    { details: { max_items: maxItems } },
  );
}

/**
 * Whether `body[start, end)` holds only JSON whitespace: the one blank test of counting and splitting, so
 * the count of items matches the items taken (String.trim would also drop NBSP, BOM or U+2028 lines).
 */
function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(body[i] as number)) return false;
  return true;
}

/** Counts the lines of `body` that are not blank, stopping once past `stopAbove`. */
function countLines(body: Buffer, stopAbove: number): number {
  let count = 0;
  for (let start = 0; start < body.length && count <= stopAbove; ) {
    let end = body.indexOf(NL, start);
    if (end === -1) end = body.length;
    if (!isBlank(body, start, end)) count++;
    start = end + 1;
  }
  return count;
}

/**
 * Counts the elements of the JSON array starting at `open` without building them (strings and nesting are
 * followed, so a comma inside either is not counted), stopping once past `stopAbove`. On text that is not
 * a valid array the count is only an estimate; JSON.parse reports such a body.
 */
function countArrayElements(body: Buffer, open: number, stopAbove: number): number {
  let depth = 1;
  let commas = 0;
  let sawValue = false;
  let inString = false;
  for (let i = open + 1; i < body.length && depth > 0; i++) {
    const b = body[i] as number;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
      continue;
    }
    if (depth === 1 && !isSpace(b) && b !== 0x2c && b !== 0x5d) sawValue = true;
    if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) depth++;
    else if (b === 0x5d || b === 0x7d) depth--;
    else if (b === 0x2c && depth === 1 && ++commas >= stopAbove) return commas + 1;
  }
  return sawValue ? commas + 1 : 0;
}

/**
 * Deepest nesting of objects and arrays an item may have. JSON.parse of a 10 MB body of brackets blocks the
 * event loop for seconds, and an event nested thousands deep passes the envelope check but cannot be
 * serialized (JSON.stringify recurses): it would be answered 202 and then dead-lettered without its data.
 * Envelopes (and Kong log entries) nest a handful of levels.
 */
export const MAX_ITEM_DEPTH = 64;

const tooDeep = `nests objects or arrays deeper than ${MAX_ITEM_DEPTH} levels`;
const notUtf8 = 'is not valid UTF-8';

/**
 * Whether the JSON text `body[start, end)` nests deeper than `limit`, found on the bytes (strings are
 * followed) so that no parser ever sees such a text.
 */
function nestsDeeper(body: Buffer, start: number, end: number, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const b = body[i] as number;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > limit) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

function* ndjsonEntries(body: Buffer): Iterable<BodyEntry> {
  let index = 0;
  let line = 0;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf(NL, start);
    if (end === -1) end = body.length;
    line++;
    const bytes = end - start;
    const blank = isBlank(body, start, end);
    const from = start;
    start = end + 1;
    if (blank) continue;
    // Checked on the bytes: JSON.parse would replace bad bytes with U+FFFD and pass the event on changed.
    const refused = nestsDeeper(body, from, end, MAX_ITEM_DEPTH)
      ? tooDeep
      : isUtf8(body.subarray(from, end))
        ? undefined
        : notUtf8;
    if (refused) {
      yield { kind: 'unparsable', index, line, bytes, reason: `the line ${refused}` };
      index++;
      continue;
    }
    try {
      // JSON.parse takes the JSON whitespace around a value; other spaces make the line invalid, as counted.
      const value = JSON.parse(body.toString('utf8', from, end));
      yield { kind: 'item', item: { index, line, bytes, value } };
    } catch (err) {
      const reason = `not valid JSON: ${clip((err as Error).message)}`;
      yield { kind: 'unparsable', index, line, bytes, reason };
    }
    index++;
  }
}

function ndjson(body: Buffer, maxItems: number): SplitBody {
  const count = countLines(body, maxItems);
  if (count > maxItems) throw tooMany(maxItems, 'NDJSON lines');
  return { count, entries: () => ndjsonEntries(body) };
}

function isJson(body: Buffer, start: number, end: number): boolean {
  try {
    JSON.parse(body.toString('utf8', start, end));
    return true;
  } catch {
    return false;
  }
}

/** Whether a body that is not one JSON value is NDJSON: more than one line, the first of them JSON. */
function firstLineIsJson(body: Buffer, first: number): boolean {
  const firstEnd = body.indexOf(NL, first);
  return (
    firstEnd !== -1 &&
    countLines(body.subarray(firstEnd), 0) > 0 &&
    !nestsDeeper(body, first, firstEnd, MAX_ITEM_DEPTH) &&
    isUtf8(body.subarray(first, firstEnd)) &&
    isJson(body, first, firstEnd)
  );
}

const isNdjsonType = (contentType: string) => /\b(x-)?ndjson\b|\bjsonl\b|\bjson-lines\b/i.test(contentType);

/**
 * Splits a body into items: NDJSON by content type (`application/x-ndjson`), else one JSON value (an array
 * gives its elements) — or NDJSON after all when the whole body is not JSON but its first line is.
 * SWY_PAYLOAD_INVALID (400) when it is none of these; SWY_INGEST_TOO_MANY_ITEMS (413) past `maxItems`,
 * found by counting lines or array elements before anything is parsed.
 */
export function splitBody(body: Buffer, contentType: string | undefined, maxItems: number): SplitBody {
  let first = 0;
  while (first < body.length && isSpace(body[first] as number)) first++;
  if (first === body.length) throw new SwitchyardError('SWY_PAYLOAD_INVALID', 'the request body is empty');
  if (contentType && isNdjsonType(contentType)) return ndjson(body, maxItems);
  if (body[first] === 0x5b && countArrayElements(body, first, maxItems) > maxItems) {
    throw tooMany(maxItems, 'array elements');
  }
  // The elements of an array are one level down.
  const depthLimit = MAX_ITEM_DEPTH + (body[first] === 0x5b ? 1 : 0);
  const deep = nestsDeeper(body, first, body.length, depthLimit);
  if (deep || !isUtf8(body)) {
    // NDJSON sent without its content type: its lines are checked one by one.
    if (firstLineIsJson(body, first)) return ndjson(body, maxItems);
    const refused = deep ? `${tooDeep} per item` : notUtf8;
    throw new SwitchyardError('SWY_PAYLOAD_INVALID', `the request body ${refused}; nothing was taken`, {
      ...(deep && { details: { max_depth: MAX_ITEM_DEPTH } }),
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    if (firstLineIsJson(body, first)) return ndjson(body, maxItems);
    // Not NDJSON either: report the JSON error of the whole body.
    throw new SwitchyardError(
      'SWY_PAYLOAD_INVALID',
      `the request body is not JSON, a JSON array or NDJSON: ${clip((err as Error).message)}`,
    );
  }
  const values = Array.isArray(value) ? value : [value];
  return {
    count: values.length,
    *entries() {
      for (const [index, v] of values.entries()) yield { kind: 'item', item: { index, value: v } };
    },
  };
}
