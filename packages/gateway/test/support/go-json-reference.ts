// The first encoder of go-json.ts, kept as the plain statement of what Go writes: the oracle the fast
// one is compared against on random values (encode-go-json.test.ts).

const HAS_GO_ESCAPE = /[<>&\u2028\u2029]/;
const GO_ESCAPES = /[<>&\u2028\u2029]/g;
const goEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

function str(s: string): string {
  const quoted = JSON.stringify(s);
  return HAS_GO_ESCAPE.test(quoted) ? quoted.replace(GO_ESCAPES, goEscape) : quoted;
}

function write(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + write(v[i]);
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        if (o[k] === undefined) continue;
        out += `${first ? '' : ','}${str(k)}:${write(o[k])}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/** `value` encoded as Go's json.Marshal encodes the same decoded data, one value at a time. */
export function referenceGoJson(value: unknown): string {
  return write(value);
}
