import { DURATION_PATTERN } from '@switchyard/shared';
import { choicesOf } from '../diagnostics/problems.js';
import { escapePointer } from '../json/parse-with-positions.js';

// KrakenD decodes its file with mapstructure in weak mode (koanf/viper): "1" is read as 1 where a number
// is expected, "true" as true, 1 as "1", a single value as a one-item list, key names ignoring case, and
// its registries (methods, log levels) ignore the case of names. The tolerant loader reads values the same
// way, driven by the same schema `check --lint` validates strictly, and says what it read each value as.

type SchemaLike = {
  type?: string;
  const?: unknown;
  anyOf?: unknown[];
  pattern?: string;
  properties?: Record<string, SchemaLike>;
  patternProperties?: Record<string, SchemaLike>;
  items?: SchemaLike;
};

/** One value read loosely: where, what it was, what it was read as. */
export interface Loosened {
  pointer: string;
  from: unknown;
  to: unknown;
  /** `key`: a key matched ignoring case (the pointer is the new key's). */
  kind: 'value' | 'key';
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's strconv.ParseInt with base 0 (0x, 0o, 0b prefixes, underscores between digits). */
function parseGoInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/.test(t)) return undefined;
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '').replaceAll('_', '');
  const n = /^0[0-7]+$/.test(body) ? Number.parseInt(body, 8) : Number(body.replace(/^0[oO]/, '0o'));
  return Number.isSafeInteger(n) ? sign * n : undefined;
}

const parseGoFloat = (text: string): number | undefined => {
  const t = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
};

const isDuration = (s: SchemaLike) => s.type === 'string' && s.pattern === DURATION_PATTERN;

/** The value read as the schema's scalar type, or undefined when KrakenD's decoder could not read it either. */
function scalar(schema: SchemaLike, v: unknown): unknown {
  const choices = choicesOf(schema);
  if (choices) {
    if (choices.includes(v)) return v;
    const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
    if (text === undefined) return undefined;
    const hit = choices.find(
      (c) => (typeof c === 'string' && c.toLowerCase() === text.toLowerCase()) || c === parseGoFloat(text),
    );
    return hit;
  }
  switch (schema.type) {
    case 'integer':
      if (typeof v === 'string') return parseGoInt(v);
      if (typeof v === 'boolean') return v ? 1 : 0;
      return undefined;
    case 'number':
      if (typeof v === 'string') return parseGoInt(v) ?? parseGoFloat(v);
      if (typeof v === 'boolean') return v ? 1 : 0;
      return undefined;
    case 'boolean':
      if (typeof v === 'string') return GO_TRUE.has(v) ? true : GO_FALSE.has(v) ? false : undefined;
      if (typeof v === 'number') return v !== 0;
      return undefined;
    case 'string':
      // A number where a duration is expected is nanoseconds (Go's time.Duration).
      if (typeof v === 'number') return isDuration(schema) && Number.isInteger(v) ? `${v}ns` : String(v);
      if (typeof v === 'boolean') return v ? '1' : '0';
      return undefined;
    default:
      return undefined;
  }
}

const matches = (schema: SchemaLike, v: unknown): boolean => {
  const choices = choicesOf(schema);
  if (choices) return choices.includes(v);
  switch (schema.type) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    default:
      return true;
  }
};

/**
 * Reads `value` loosely against `schema` in place (objects and arrays are modified) and returns the value
 * to use. Each value read as something else is passed to `note`. Values that cannot be read are left as
 * they are, for the schema to report.
 */
export function loosen(
  schema: unknown,
  value: unknown,
  pointer: string,
  note: (l: Loosened) => void,
): unknown {
  const s = schema as SchemaLike;
  if (!s || typeof s !== 'object') return value;
  if (s.type === 'array' && s.items) {
    if (!Array.isArray(value)) {
      if (value === undefined || value === null) return value;
      // mapstructure: an empty object is an empty list; any other single value becomes a one-item list.
      const read = isObject(value) && Object.keys(value).length === 0 ? [] : [value];
      note({ pointer, from: value, to: read, kind: 'value' });
      return loosen(s, read, pointer, note);
    }
    value.forEach((item, i) => {
      value[i] = loosen(s.items, item, `${pointer}/${i}`, note);
    });
    return value;
  }
  if (s.type === 'object') {
    if (!isObject(value)) return value;
    const props = s.properties ?? {};
    const byLower = new Map(Object.keys(props).map((k) => [k.toLowerCase(), k]));
    for (const key of Object.keys(value)) {
      let name = key;
      if (!Object.hasOwn(props, key)) {
        const known = byLower.get(key.toLowerCase());
        if (known === undefined || Object.hasOwn(value, known)) {
          const pattern = Object.entries(s.patternProperties ?? {}).find(([p]) => new RegExp(p).test(key));
          if (pattern) value[key] = loosen(pattern[1], value[key], `${pointer}/${escapePointer(key)}`, note);
          continue;
        }
        value[known] = value[key];
        delete value[key];
        name = known;
        note({ pointer: `${pointer}/${escapePointer(known)}`, from: key, to: known, kind: 'key' });
      }
      const at = `${pointer}/${escapePointer(name)}`;
      if (value[name] === null && props[name]?.type !== undefined) {
        // mapstructure decodes null as the zero value: the key is as good as absent.
        delete value[name];
        note({ pointer: at, from: null, to: undefined, kind: 'value' });
        continue;
      }
      value[name] = loosen(props[name], value[name], at, note);
    }
    return value;
  }
  if (matches(s, value)) return value;
  const read = scalar(s, value);
  if (read === undefined) return value;
  note({ pointer, from: value, to: read, kind: 'value' });
  return read;
}
