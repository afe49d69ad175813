import { SwitchyardError } from '@switchyard/shared';

/** 1-based line and column of a character in the source text. */
export interface Position {
  line: number;
  column: number;
}

/** Where a JSON value sits: its first character, and for object members, the key's opening quote. */
export interface Located {
  value: Position;
  key?: Position;
}

export interface ParsedJson {
  value: unknown;
  /** Every JSON pointer in the document (`''` is the root) → where it sits in the text. */
  positions: Map<string, Located>;
  /** Pointers of object members that appear more than once (JSON.parse keeps the last one, so do we). */
  duplicates: { pointer: string; key: Position; first: Position }[];
}

export const escapePointer = (segment: string | number): string =>
  String(segment).replaceAll('~', '~0').replaceAll('/', '~1');

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The deepest nesting of objects and arrays accepted. Real gateway files nest a dozen levels; the limit
 * keeps this parser and every later stage that walks the value (validation, diffs, printing) far from
 * the call stack's end, so a hostile file gets a diagnostic instead of a stack overflow.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * A strict JSON parser (RFC 8259, as Go's encoding/json reads KrakenD files) that also records the line
 * and column of every value and key, so diagnostics can point into the file. JSON.parse gives neither.
 * Throws SWY_CONFIG_PARSE with line:column on malformed input, SWY_CONFIG_TOO_DEEP past MAX_JSON_DEPTH.
 */
export function parseJsonWithPositions(text: string, file = '<input>'): ParsedJson {
  const positions = new Map<string, Located>();
  const duplicates: ParsedJson['duplicates'] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 BOM is tolerated
  let line = 1;
  let lineStart = i; // columns count from after the BOM, as editors show them

  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const fail = (expected: string): never => {
    const pos = here();
    const c = text[i];
    const found = c === undefined ? 'end of file' : c === '\n' ? 'end of line' : `'${c}'`;
    throw new SwitchyardError(
      'SWY_CONFIG_PARSE',
      `${file}:${pos.line}:${pos.column}: invalid JSON: expected ${expected}, found ${found}`,
      { details: { file, line: pos.line, column: pos.column } },
    );
  };
  const skipSpace = () => {
    for (;;) {
      const c = text[i];
      if (c === '\n') {
        i++;
        line++;
        lineStart = i;
      } else if (c === ' ' || c === '\t' || c === '\r') i++;
      else return;
    }
  };

  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') return fail('a closing quote');
      if (c === '"') {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c === '\\') {
        out += text.slice(run, i);
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            i += 2;
            fail('four hex digits after \\u');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e];
          i += 2;
        } else {
          i++;
          fail('an escape character (" \\ / b f n r t u)');
        }
        run = i;
      } else if ((c.charCodeAt(0) ?? 0) < 0x20) {
        fail('no control characters inside a string (escape them)');
      } else i++;
    }
  };

  const tooDeep = (pointer: string): never => {
    const pos = here();
    const shown = pointer.length > 120 ? `${pointer.slice(0, 120)}…` : pointer;
    throw new SwitchyardError(
      'SWY_CONFIG_TOO_DEEP',
      `${file}:${pos.line}:${pos.column}: objects and arrays nested deeper than ${MAX_JSON_DEPTH} levels (at ${shown})`,
      { details: { file, line: pos.line, column: pos.column, pointer, max_depth: MAX_JSON_DEPTH } },
    );
  };

  const parseValue = (pointer: string, depth: number, key?: Position): unknown => {
    skipSpace();
    const start = here();
    positions.set(pointer, key ? { value: start, key } : { value: start });
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= MAX_JSON_DEPTH) return tooDeep(pointer);
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Map<string, Position>();
      skipSpace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail('a key in double quotes');
        const keyPos = here();
        const name = parseString();
        skipSpace();
        if (text[i] !== ':') fail(`":" after the key "${name}"`);
        i++;
        const child = `${pointer}/${escapePointer(name)}`;
        const first = seen.get(name);
        if (first) duplicates.push({ pointer: child, key: keyPos, first });
        else seen.set(name, keyPos);
        // defineProperty: a "__proto__" key stays an own property, as with JSON.parse
        Object.defineProperty(obj, name, {
          value: parseValue(child, depth + 1, keyPos),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipSpace();
        if (text[i] === ',') {
          i++;
          skipSpace();
          if (text[i] === '}') fail('another key after "," (trailing commas are not JSON)');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('"," or "}" after an object member');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(`${pointer}/${arr.length}`, depth + 1));
        skipSpace();
        if (text[i] === ',') {
          i++;
          skipSpace();
          if (text[i] === ']') fail('another value after "," (trailing commas are not JSON)');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('"," or "]" after an array element');
      }
    }
    if (c === '"') return parseString();
    for (const [word, literal] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    return fail('a JSON value (object, array, string, number, true, false or null)');
  };

  const value = parseValue('', 0);
  skipSpace();
  if (i < text.length) fail('end of file after the top-level value');
  return { value, positions, duplicates };
}

/** The position to report for `pointer`: its own, else that of its nearest ancestor present in the text. */
export function positionOf(
  positions: ReadonlyMap<string, Located> | undefined,
  pointer: string,
  prefer: 'key' | 'value' = 'value',
): Position {
  if (!positions) return { line: 0, column: 0 };
  let p = pointer;
  for (;;) {
    const at = positions.get(p);
    if (at) return (prefer === 'key' && at.key) || at.value;
    if (p === '') return { line: 0, column: 0 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
