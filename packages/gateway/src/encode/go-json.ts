// JSON as Go's encoding/json writes it (what gin's c.JSON sends): object keys sorted, and `<`, `>`, `&`,
// U+2028 and U+2029 escaped, so a KrakenD client reads the same bytes from Switchyard.
//
// Fast path: one walk that copies only the objects whose keys are not already in order, then the
// native JSON.stringify, then one replace (those five characters occur only inside strings in JSON).

const GO_ESCAPES = /[<>&\u2028\u2029]/g;
const ESCAPED: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const goEscape = (c: string) => ESCAPED[c] as string;

/**
 * Text JSON.stringify cannot produce from an object: V8 enumerates integer-like keys first, in numeric
 * order, so `{"10":…,"9":…}` cannot be built in sorted order. Such an object (and the objects and
 * arrays holding it) is written by hand around the native encoding of its values.
 */
class Written {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/** Keys in the order Go writes them; `keys` itself when already sorted (the common case: no copy). */
function sortedKeys(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return sorted(keys);
  }
  return keys;
}

/** A sorted copy (UTF-16 order, as Array#sort); insertion sort beats the generic sort on a few keys. */
function sorted(keys: string[]): string[] {
  const out = keys.slice();
  if (out.length > 24) return out.sort();
  for (let i = 1; i < out.length; i++) {
    const k = out[i] as string;
    let j = i - 1;
    while (j >= 0 && (out[j] as string) > k) {
      out[j + 1] = out[j] as string;
      j--;
    }
    out[j + 1] = k;
  }
  return out;
}

function isPlain(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** `v` as JSON.stringify must see it to write Go's bytes, or the bytes themselves ({@link Written}). */
function prepare(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'object':
      if (v === null) return v;
      return Array.isArray(v) ? prepareArray(v) : prepareObject(v as Record<string, unknown>);
    case 'undefined':
      return undefined;
    default:
      // Functions, symbols and bigints have no JSON form: null, as a value the encoder cannot write.
      return null;
  }
}

function prepareArray(a: unknown[]): unknown {
  let out: unknown[] | null = null;
  let written = false;
  for (let i = 0; i < a.length; i++) {
    const item = a[i];
    const p = prepare(item);
    if (p !== item) {
      out ??= a.slice();
      out[i] = p;
      if (p instanceof Written) written = true;
    }
  }
  if (!written) return out ?? a;
  let json = '[';
  for (let i = 0; i < (out as unknown[]).length; i++) json += (i ? ',' : '') + encode((out as unknown[])[i]);
  return new Written(`${json}]`);
}

function prepareObject(o: Record<string, unknown>): unknown {
  const keys = Object.keys(o);
  const order = sortedKeys(keys);
  // A Date or class instance is written as its own enumerable fields, never through toJSON.
  const copied = order !== keys || !isPlain(o);
  let values: unknown[] | null = copied ? new Array(order.length) : null;
  let written = false;
  for (let i = 0; i < order.length; i++) {
    const value = o[order[i] as string];
    const p = prepare(value);
    if (p !== value && values === null) {
      values = new Array(order.length);
      for (let j = 0; j < i; j++) values[j] = o[order[j] as string];
    }
    if (values !== null) values[i] = p;
    if (p instanceof Written) written = true;
  }
  if (values === null) return o;
  if (!written) {
    const copy: Record<string, unknown> = {};
    for (let i = 0; i < order.length; i++) {
      const key = order[i] as string;
      // A plain object keeps V8's fast shape (Object.create(null) is a slow dictionary); only the key
      // `__proto__` needs defining, as assigning it would set the prototype.
      if (key === '__proto__')
        Object.defineProperty(copy, key, { value: values[i], enumerable: true, writable: true });
      else copy[key] = values[i];
    }
    if (order === keys || !hasIndexKey(order) || sameOrder(Object.keys(copy), order)) return copy;
  }
  let json = '{';
  let first = true;
  for (let i = 0; i < order.length; i++) {
    if (values[i] === undefined) continue;
    json += `${first ? '' : ','}${JSON.stringify(order[i])}:${encode(values[i])}`;
    first = false;
  }
  return new Written(`${json}}`);
}

/** Whether a key may be an array index (V8 enumerates those first): it starts with a digit. */
function hasIndexKey(keys: string[]): boolean {
  for (const k of keys) {
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function sameOrder(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A prepared value's JSON, before the Go escapes. */
function encode(p: unknown): string {
  if (p instanceof Written) return p.json;
  return JSON.stringify(p) ?? 'null';
}

/** `value` encoded as Go's json.Marshal encodes the same decoded data. */
export function goJson(value: unknown): string {
  return encode(prepare(value)).replace(GO_ESCAPES, goEscape);
}
