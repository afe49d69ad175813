import { createHash } from 'node:crypto';
import type { TemplateFunction } from './exec.js';
import { goType } from './exec.js';
import { goEqual, goJson, isMap, printValue, sprint, toInt, toNumber, truthy } from './values.js';

// Bounds for helpers that build a value from a number in the template: a config never needs more, and a
// typo (`until 1e9`) must be an error, not an allocation that takes the process down.
const MAX_LIST = 1_000_000;
const MAX_STRING = 64 * 1024 * 1024;

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : printValue(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);
const dict = (v: unknown): Record<string, unknown> => (isMap(v) ? v : {});

function compare(a: unknown, b: unknown, op: string): boolean {
  const num = (x: unknown) => typeof x === 'number' || typeof x === 'bigint';
  if (num(a) && num(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    return op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
  }
  if (typeof a === 'string' && typeof b === 'string')
    return op === 'lt' ? a < b : op === 'le' ? a <= b : op === 'gt' ? a > b : a >= b;
  throw new Error(`incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
}

/** fmt.Sprintf for the verbs config templates use: %s %v %d %q %t %f %x %%. */
function sprintf(format: string, ...args: unknown[]): string {
  let n = 0;
  return format.replace(
    /%([-+# 0]*)(\d+)?(?:\.(\d+))?([svdqtfgexX%])/g,
    (_m, _flags: string, width?: string, prec?: string, verb?: string) => {
      if (verb === '%') return '%';
      if (n >= args.length) return `%!${verb}(MISSING)`;
      const a = args[n++];
      let s: string;
      switch (verb) {
        case 'd':
          s = toInt(a).toString();
          break;
        case 'q':
          s = JSON.stringify(str(a));
          break;
        case 'f':
          s = toNumber(a).toFixed(prec === undefined ? 6 : Number(prec));
          break;
        case 'x':
        case 'X':
          s = typeof a === 'string' ? Buffer.from(a).toString('hex') : toInt(a).toString(16);
          if (verb === 'X') s = s.toUpperCase();
          break;
        default:
          s = printValue(a);
      }
      return width ? s.padStart(Number(width)) : s;
    },
  );
}

/** Go's builtin template functions. */
export const BUILTINS: Record<string, TemplateFunction> = {
  not: (v) => !truthy(v),
  len: (v) => {
    if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
    if (Array.isArray(v)) return BigInt(v.length);
    if (isMap(v)) return BigInt(Object.keys(v).length);
    throw new Error(`len of type ${goType(v)}`);
  },
  index: (v, ...keys) => {
    let x = v;
    for (const k of keys) {
      if (Array.isArray(x)) {
        const i = Number(toInt(k));
        if (i < 0 || i >= x.length) throw new Error(`index out of range: ${i}`);
        x = x[i];
      } else if (isMap(x)) x = x[str(k)];
      else if (x === null || x === undefined) throw new Error('index of untyped nil');
      else throw new Error(`can't index item of type ${goType(x)}`);
    }
    return x;
  },
  slice: (v, ...idx) => {
    const [a, b] = idx.map((i) => Number(toInt(i)));
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(a ?? 0, b);
    throw new Error(`can't slice item of type ${goType(v)}`);
  },
  print: (...a) => sprint(a),
  println: (...a) => `${a.map((x) => printValue(x)).join(' ')}\n`,
  printf: (f, ...a) => sprintf(str(f), ...a),
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new Error('missing argument for comparison');
    return bs.some((b) => goEqual(a, b));
  },
  ne: (a, b) => !goEqual(a, b),
  lt: (a, b) => compare(a, b, 'lt'),
  le: (a, b) => compare(a, b, 'le'),
  gt: (a, b) => compare(a, b, 'gt'),
  ge: (a, b) => compare(a, b, 'ge'),
  html: (...a) =>
    sprint(a).replace(
      /[&'<>"\0]/g,
      (c) =>
        ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c] as string,
    ),
  js: (...a) =>
    JSON.stringify(sprint(a))
      .slice(1, -1)
      .replace(/'/g, "\\'")
      .replace(/</g, '\\u003C')
      .replace(/>/g, '\\u003E'),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+'),
};

/** The sprig functions KrakenD's Flexible Configuration templates use (docs/flexible-config.md lists them). */
export function sprigFunctions(env: NodeJS.ProcessEnv): Record<string, TemplateFunction> {
  return {
    env: (name) => env[str(name)] ?? '',
    expandenv: (s) =>
      str(s).replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => env[(a ?? b) as string] ?? ''),
    default: (d, ...given) => (given.length > 0 && truthy(given[0]) ? given[0] : d),
    empty: (v) => !truthy(v),
    coalesce: (...vs) => vs.find(truthy) ?? null,
    ternary: (a, b, cond) => (truthy(cond) ? a : b),
    fail: (msg) => {
      throw new Error(str(msg));
    },
    toJson: (v) => goJson(v),
    toRawJson: (v) =>
      goJson(v)
        .replace(/\\u003c/g, '<')
        .replace(/\\u003e/g, '>')
        .replace(/\\u0026/g, '&'),
    toPrettyJson: (v) => goJson(v, '  '),
    toString: (v: unknown) => str(v),
    toStrings: (v) => list(v).map(str),
    upper: (s) => str(s).toUpperCase(),
    lower: (s) => str(s).toLowerCase(),
    title: (s) => str(s).replace(/(^|[\s])(\S)/g, (_m, p: string, c: string) => p + c.toUpperCase()),
    trim: (s) => str(s).trim(),
    trimAll: (cut, s) => {
      const set = new Set(str(cut));
      const t = [...str(s)];
      while (t.length && set.has(t[0] as string)) t.shift();
      while (t.length && set.has(t[t.length - 1] as string)) t.pop();
      return t.join('');
    },
    trimPrefix: (p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
    trimSuffix: (p, s) =>
      str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s),
    replace: (o, n, s) => str(s).split(str(o)).join(str(n)),
    contains: (sub, s) => str(s).includes(str(sub)),
    hasPrefix: (p, s) => str(s).startsWith(str(p)),
    hasSuffix: (p, s) => str(s).endsWith(str(p)),
    quote: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => JSON.stringify(str(x)))
        .join(' '),
    squote: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => `'${str(x)}'`)
        .join(' '),
    cat: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map(str)
        .join(' '),
    join: (sep, l) => list(l).map(str).join(str(sep)),
    splitList: (sep, s) => str(s).split(str(sep)),
    split: (sep, s) =>
      Object.fromEntries(
        str(s)
          .split(str(sep))
          .map((p, i) => [`_${i}`, p]),
      ),
    repeat: (n, s) => {
      const count = Math.max(0, Number(toInt(n)));
      if (count * str(s).length > MAX_STRING) throw new Error(`result longer than ${MAX_STRING} characters`);
      return str(s).repeat(count);
    },
    indent: (n, s) => {
      const pad = ' '.repeat(Number(toInt(n)));
      return pad + str(s).replaceAll('\n', `\n${pad}`);
    },
    nindent: (n, s) => {
      const pad = ' '.repeat(Number(toInt(n)));
      return `\n${pad}${str(s).replaceAll('\n', `\n${pad}`)}`;
    },
    nospace: (s) => str(s).replace(/\s/g, ''),
    substr: (a, b, s) => {
      const t = str(s);
      const start = Number(toInt(a));
      const end = Number(toInt(b));
      if (start < 0) return t.slice(0, end);
      if (end < 0 || end > t.length) return t.slice(start);
      return t.slice(start, end);
    },
    trunc: (n, s) => {
      const c = Number(toInt(n));
      const t = str(s);
      return c < 0 ? t.slice(Math.max(0, t.length + c)) : t.slice(0, c);
    },
    b64enc: (s) => Buffer.from(str(s)).toString('base64'),
    b64dec: (s) => Buffer.from(str(s), 'base64').toString('utf8'),
    sha256sum: (s) => createHash('sha256').update(str(s)).digest('hex'),
    regexMatch: (re, s) => new RegExp(str(re)).test(str(s)),
    regexReplaceAll: (re, s, repl) =>
      str(s).replace(new RegExp(str(re), 'g'), str(repl).replace(/\$\{(\w+)\}/g, '$<$1>')),
    list: (...a) => a,
    tuple: (...a) => a,
    dict: (...a) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < a.length; i += 2) out[str(a[i])] = i + 1 < a.length ? a[i + 1] : '';
      return out;
    },
    get: (d, k) => dict(d)[str(k)] ?? '',
    set: (d, k, v) => {
      dict(d)[str(k)] = v;
      return d;
    },
    unset: (d, k) => {
      delete dict(d)[str(k)];
      return d;
    },
    hasKey: (d, k) => Object.hasOwn(dict(d), str(k)),
    keys: (...ds) => ds.flatMap((d) => Object.keys(dict(d))),
    values: (d) => Object.values(dict(d)),
    pluck: (k, ...ds) => ds.filter((d) => Object.hasOwn(dict(d), str(k))).map((d) => dict(d)[str(k)]),
    merge: (dst, ...srcs) => {
      const deep = (a: Record<string, unknown>, b: Record<string, unknown>) => {
        for (const [k, v] of Object.entries(b)) {
          if (!Object.hasOwn(a, k)) a[k] = v;
          else if (isMap(a[k]) && isMap(v)) deep(a[k] as Record<string, unknown>, v);
        }
      };
      for (const s of srcs) deep(dict(dst), dict(s));
      return dst;
    },
    first: (l) => list(l)[0] ?? null,
    last: (l) => list(l)[list(l).length - 1] ?? null,
    rest: (l) => list(l).slice(1),
    initial: (l) => list(l).slice(0, -1),
    append: (l, v) => [...list(l), v],
    push: (l, v) => [...list(l), v],
    prepend: (l, v) => [v, ...list(l)],
    concat: (...ls) => ls.flatMap(list),
    reverse: (l) => [...list(l)].reverse(),
    uniq: (l) =>
      list(l).filter(
        (v, i, all) => all.findIndex((w) => goEqual(v, w) || JSON.stringify(v) === JSON.stringify(w)) === i,
      ),
    compact: (l) => list(l).filter(truthy),
    has: (needle, l) => list(l).some((v) => goEqual(v, needle)),
    without: (l, ...omit) => list(l).filter((v) => !omit.some((o) => goEqual(v, o))),
    sortAlpha: (l) => list(l).map(str).sort(),
    until: (n) => {
      const length = Math.max(0, Number(toInt(n)));
      if (length > MAX_LIST) throw new Error(`more than ${MAX_LIST} elements`);
      return Array.from({ length }, (_, i) => BigInt(i));
    },
    untilStep: (a, b, step) => {
      const out: bigint[] = [];
      const s = toInt(step);
      if (s === 0n) return out;
      for (let i = toInt(a); s > 0n ? i < toInt(b) : i > toInt(b); i += s) {
        out.push(i);
        if (out.length > MAX_LIST) throw new Error(`more than ${MAX_LIST} elements`);
      }
      return out;
    },
    add: (...a) => a.reduce<bigint>((x, y) => x + toInt(y), 0n),
    add1: (a) => toInt(a) + 1n,
    sub: (a, b) => toInt(a) - toInt(b),
    mul: (...a) => a.reduce<bigint>((x, y) => x * toInt(y), 1n),
    div: (a, b) => {
      if (toInt(b) === 0n) throw new Error('integer divide by zero');
      return toInt(a) / toInt(b);
    },
    mod: (a, b) => {
      if (toInt(b) === 0n) throw new Error('integer divide by zero');
      return toInt(a) % toInt(b);
    },
    max: (...a) => sortInts(a).at(-1) ?? 0n,
    min: (...a) => sortInts(a)[0] ?? 0n,
    int: (v) => toInt(v),
    int64: (v) => toInt(v),
    atoi: (v) => {
      const n = Number(str(v));
      return Number.isInteger(n) ? BigInt(n) : 0n;
    },
    float64: (v) => toNumber(v),
    typeOf: (v) => goType(v),
    kindIs: (k, v) => goKind(v) === str(k),
    kindOf: (v) => goKind(v),
    deepCopy: (v) => structuredClone(v),
  };
}

const sortInts = (a: unknown[]) => a.map(toInt).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

function goKind(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'slice' : 'map';
}
