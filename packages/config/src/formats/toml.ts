import { SwitchyardError } from '@switchyard/shared';
import { parse, TomlError } from 'smol-toml';
import { escapePointer, type Located, type ParsedJson, type Position } from '../json/parse-with-positions.js';

/**
 * Parses a TOML config with smol-toml (TOML 1.0), then finds the line:column of every key and value
 * under its JSON pointer with a scan of the text, so diagnostics point into the file as for JSON.
 * Syntax errors, duplicate keys and redefined tables are SWY_CONFIG_PARSE with line:column.
 */
export function parseTomlWithPositions(text: string, file = '<input>'): ParsedJson {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? err.message;
    throw new SwitchyardError(
      'SWY_CONFIG_PARSE',
      `${file}:${err.line}:${err.column}: invalid TOML: ${reason}`,
      {
        cause: err,
        details: { file, line: err.line, column: err.column },
      },
    );
  }
  // Dates become ISO strings, as they would reach a JSON config.
  const plain = JSON.parse(JSON.stringify(value)) as unknown;
  return { value: plain, positions: tomlPositions(text), duplicates: [] };
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** Pointer → position of every key and value of a valid TOML document. Never throws; unknown text is skipped. */
export function tomlPositions(text: string): Map<string, Located> {
  const positions = new Map<string, Located>();
  const arrays = new Map<string, number>(); // array-of-tables pointer → index of its last element
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let current = '';
  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const newline = () => {
    i++;
    line++;
    lineStart = i;
  };
  const skipBlank = (newlines: boolean) => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
      else if (c === '\n' && newlines) newline();
      else return;
    }
  };
  const skipString = () => {
    const q = text[i] as string;
    const triple = text.startsWith(q.repeat(3), i);
    i += triple ? 3 : 1;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\' && q === '"') i += 2;
      else if (triple && text.startsWith(q.repeat(3), i)) {
        i += 3;
        while (text[i] === q) i++; // up to two quotes may end the content
        return;
      } else if (!triple && c === q) {
        i++;
        return;
      } else if (c === '\n') {
        if (!triple) return;
        newline();
      } else i++;
    }
  };
  const readKeyPart = (): string => {
    const c = text[i];
    if (c === '"' || c === "'") {
      const start = i;
      skipString();
      const raw = text.slice(start, i);
      if (c === "'") return raw.slice(1, -1);
      try {
        return JSON.parse(raw) as string;
      } catch {
        return raw.slice(1, -1);
      }
    }
    const start = i;
    while (i < text.length && BARE_KEY.test(text[i] as string)) i++;
    return text.slice(start, i);
  };
  /** A dotted key: its parts and where each part starts. */
  const readKey = (): { parts: string[]; at: Position[] } => {
    const parts: string[] = [];
    const at: Position[] = [];
    for (;;) {
      skipBlank(false);
      at.push(here());
      const before = i;
      parts.push(readKeyPart());
      if (i === before) return { parts, at };
      skipBlank(false);
      if (text[i] !== '.') return { parts, at };
      i++;
    }
  };
  /** The pointer a header names; tables it implies get the header's position. */
  const resolve = (base: string, parts: string[], at: Position[] = []): string => {
    let p = base;
    for (const [k, part] of parts.entries()) {
      p += `/${escapePointer(part)}`;
      const key = at[k];
      if (key && !positions.has(p)) positions.set(p, { value: key, key });
      const n = arrays.get(p);
      if (n !== undefined) p += `/${n}`;
    }
    return p;
  };
  const scanValue = (pointer: string, key?: Position) => {
    positions.set(pointer, key ? { value: here(), key } : { value: here() });
    const c = text[i];
    if (c === '"' || c === "'") return skipString();
    if (c === '[') {
      i++;
      for (let n = 0; ; n++) {
        skipBlank(true);
        if (text[i] === ']' || i >= text.length) {
          i++;
          return;
        }
        const before = i;
        scanValue(`${pointer}/${n}`);
        skipBlank(true);
        if (text[i] === ',') i++;
        if (i === before) i++;
      }
    }
    if (c === '{') {
      i++;
      for (;;) {
        skipBlank(false);
        if (text[i] === '}' || i >= text.length || text[i] === '\n') {
          i++;
          return;
        }
        const before = i;
        scanKeyValue(pointer);
        skipBlank(false);
        if (text[i] === ',') i++;
        if (i === before) i++;
      }
    }
    while (i < text.length && !',]}\n#'.includes(text[i] as string)) i++;
  };
  const scanKeyValue = (table: string) => {
    const { parts, at } = readKey();
    let p = table;
    parts.forEach((part, n) => {
      p += `/${escapePointer(part)}`;
      if (n < parts.length - 1 && !positions.has(p))
        positions.set(p, { value: at[n] as Position, key: at[n] as Position });
    });
    skipBlank(false);
    if (text[i] !== '=') return;
    i++;
    skipBlank(false);
    scanValue(p, at[parts.length - 1]);
  };

  while (i < text.length) {
    skipBlank(true);
    if (i >= text.length) break;
    const start = i;
    if (text[i] === '[') {
      const arrayTable = text[i + 1] === '[';
      const headerAt = here();
      i += arrayTable ? 2 : 1;
      const { parts, at } = readKey();
      if (arrayTable) {
        const parent = resolve('', parts.slice(0, -1), at);
        const base = `${parent}/${escapePointer(parts[parts.length - 1] as string)}`;
        const n = (arrays.get(base) ?? -1) + 1;
        arrays.set(base, n);
        if (!positions.has(base))
          positions.set(base, { value: headerAt, key: at[parts.length - 1] as Position });
        current = `${base}/${n}`;
      } else current = resolve('', parts, at);
      positions.set(current, { value: headerAt, key: at[parts.length - 1] as Position });
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      scanKeyValue(current);
      while (i < text.length && text[i] !== '\n') i++;
    }
    if (i === start) i++;
  }
  if (!positions.has('')) positions.set('', { value: { line: 1, column: 1 } });
  return positions;
}
