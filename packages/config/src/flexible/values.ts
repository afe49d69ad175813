/**
 * Go's view of template values: JSON numbers are float64 (JS number), template integer literals and
 * integer results (len, add…) are int (bigint); maps iterate and print in key order.
 */

export type GoMap = Record<string, unknown>;

export const isMap = (v: unknown): v is GoMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's %v for a float64 (strconv 'g', shortest): exponent form from 1e+06 up and below 1e-04. */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** fmt.Sprint of one value, as text/template prints it. */
export function printValue(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  return formatValue(v);
}

function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** fmt.Sprint: operands joined, with a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** encoding/json.Marshal: keys sorted, no spaces, <, > and & escaped as Go does. */
export function goJson(v: unknown, indent?: string): string {
  const sorted = (x: unknown): unknown => {
    if (typeof x === 'bigint') return Number(x);
    if (Array.isArray(x)) return x.map(sorted);
    if (isMap(x)) {
      const out: GoMap = {};
      for (const k of Object.keys(x).sort()) out[k] = sorted(x[k]);
      return out;
    }
    return x === undefined ? null : x;
  };
  const text = JSON.stringify(sorted(v), null, indent) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A number operand as a JS number (bigint and float alike). */
export function toNumber(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return 0;
}

/** sprig's toInt64: numbers truncate, strings parse, anything else is 0. */
export function toInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  const n = toNumber(v);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

/** Go's eq on basic values: numbers compare by value whatever their kind. */
export function goEqual(a: unknown, b: unknown): boolean {
  const num = (x: unknown) => typeof x === 'number' || typeof x === 'bigint';
  if (num(a) && num(b)) return toNumber(a) === toNumber(b);
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return a === b;
}
