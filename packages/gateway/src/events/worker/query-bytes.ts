import { REDACTED, type SensitiveNames } from '@switchyard/shared';
import type { JsonBytes } from './json-bytes.js';

// Queries read from a hand-off record's UTF-8 bytes when they are plain (no `%` or `+` to decode, nothing
// JSON escapes, names that an object keeps once and in order): what redactUrl and parseQuery would make of
// them is then known from the bytes alone, with no URLSearchParams and no string per part. Anything else
// returns false, and the caller takes the string path.

const AMP = 0x26;
const EQ = 0x3d;
const HASH = 0x23;
const QUESTION = 0x3f;

/** Most parameters a plain query has here (more go the string path). */
const MAX_PARAMS = 32;
/** Where each parameter's name and value lie: 4 offsets per parameter. */
const spans = new Int32Array(4 * MAX_PARAMS);

/** Whether a byte is kept as it is by form decoding (not `%`, `+`) and by JSON (not `"`, `\`, controls). */
function plain(c: number): boolean {
  return c >= 0x20 && c !== 0x22 && c !== 0x25 && c !== 0x2b && c !== 0x5c;
}

/** Whether a parameter name's value is hidden (`hide` answers for the name lower-cased, as redactQuery asks). */
function hidden(b: Buffer, start: number, end: number, hide: SensitiveNames): boolean {
  return hide.has(b.toString('utf8', start, end).toLowerCase());
}

/**
 * Whether redactUrl would return the URL in `b` (from `start` to `end`) unchanged: no userinfo that could
 * hold a password (no `@`), and no parameter in its query whose name is hidden. False also when a name
 * needs decoding: the caller then lets redactUrl decide.
 */
export function urlKeptAsIs(b: Buffer, start: number, end: number, hide: SensitiveNames): boolean {
  let q = -1;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0x40) return false;
    if (c === QUESTION && q < 0) q = i;
  }
  if (q < 0) return true;
  let stop = end;
  for (let i = q + 1; i < end; i++)
    if (b[i] === HASH) {
      stop = i;
      break;
    }
  // Each `&`-separated part, empty ones too (redactUrl asks about every name).
  let name = q + 1;
  let inName = true;
  for (let i = q + 1; i <= stop; i++) {
    const c = i < stop ? (b[i] as number) : AMP;
    if (c === AMP) {
      if (inName && hidden(b, name, i, hide)) return false;
      name = i + 1;
      inName = true;
    } else if (inName) {
      if (c === EQ) {
        if (hidden(b, name, i, hide)) return false;
        inName = false;
      } else if (c === 0x25 || c === 0x2b) return false;
    }
  }
  return true;
}

/** Whether the name spans of parameters `i` and `j` hold the same bytes. */
function sameName(b: Buffer, i: number, j: number): boolean {
  const a = spans[4 * i] as number;
  const n = (spans[4 * i + 1] as number) - a;
  const c = spans[4 * j] as number;
  if ((spans[4 * j + 1] as number) - c !== n) return false;
  for (let k = 0; k < n; k++) if (b[a + k] !== b[c + k]) return false;
  return true;
}

/**
 * A raw query string (without `?`) written as the JSON of redactQuery(parseQuery(it)): an object of its
 * parameters in order, hidden values as `[REDACTED]`. False, with nothing written, unless it is plain and
 * each name comes once and is kept by an object as it is (not an index, which an object puts first, and
 * not a name Object.prototype has, such as `__proto__`).
 */
export function writePlainQuery(
  w: JsonBytes,
  b: Buffer,
  start: number,
  end: number,
  hide: SensitiveNames,
): boolean {
  if (start < end && b[start] === QUESTION) return false; // URLSearchParams drops a leading `?`.
  let count = 0;
  let from = start;
  let eq = -1;
  for (let i = start; i <= end; i++) {
    const c = i < end ? (b[i] as number) : AMP;
    if (c === AMP) {
      if (i > from) {
        if (count === MAX_PARAMS) return false;
        const s = 4 * count++;
        spans[s] = from;
        spans[s + 1] = eq < 0 ? i : eq;
        spans[s + 2] = eq < 0 ? i : eq + 1;
        spans[s + 3] = i;
      }
      from = i + 1;
      eq = -1;
    } else if (c === EQ) {
      if (eq < 0) eq = i;
    } else if (!plain(c)) return false;
  }
  for (let i = 0; i < count; i++) {
    const c = b[spans[4 * i] as number] as number;
    if (c >= 0x30 && c <= 0x39) return false;
    for (let j = 0; j < i; j++) if (sameName(b, i, j)) return false;
  }
  const mark = w.mark();
  w.ascii('{');
  for (let i = 0; i < count; i++) {
    const s = 4 * i;
    const nameStart = spans[s] as number;
    const nameEnd = spans[s + 1] as number;
    const name = b.toString('utf8', nameStart, nameEnd);
    if (name in EMPTY) {
      w.back(mark);
      return false;
    }
    if (i > 0) w.ascii(',');
    w.utf8(b, nameStart, nameEnd);
    w.ascii(':');
    if (hide.has(name.toLowerCase())) w.str(REDACTED);
    else w.utf8(b, spans[s + 2] as number, spans[s + 3] as number);
  }
  w.ascii('}');
  return true;
}

/** An object's inherited names (`constructor`, `__proto__`…), which parseQuery's object does not keep as given. */
const EMPTY: object = {};
