import type { Where } from './ast.js';
import { TemplateError } from './error.js';

export type TokenKind =
  | 'text'
  | 'open' // {{
  | 'close' // }}
  | 'space'
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'comma'
  | 'declare' // :=
  | 'assign' // =
  | 'string'
  | 'number'
  | 'bool'
  | 'char'
  | 'field' // .name (one segment)
  | 'dot' // .
  | 'variable' // $ or $name
  | 'identifier'
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for string, number, bool and char tokens. */
  value?: unknown;
  line: number;
  column: number;
  /** Index into the template text. */
  offset: number;
}

const SPACE = /[ \t\r\n]/;
const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;
const NUMBER =
  /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)/;

/** Go string-literal escapes. */
function unquote(raw: string, where: () => Where): string {
  try {
    // JSON covers \" \\ \/ \b \f \n \r \t \uXXXX; Go adds \a \v \' \xHH \NNN and \UXXXXXXXX.
    const json = raw
      .slice(1, -1)
      .replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => `\\u00${h}`)
      .replace(/\\U([0-9a-fA-F]{8})/g, (_m, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
      .replace(/\\a/g, '\\u0007')
      .replace(/\\v/g, '\\u000b')
      .replace(/\\'/g, "'")
      .replace(
        /\\([0-7]{3})/g,
        (_m, o: string) => `\\u00${Number.parseInt(o, 8).toString(16).padStart(2, '0')}`,
      );
    return JSON.parse(`"${json}"`) as string;
  } catch {
    throw new TemplateError(where(), `bad string literal ${raw}`);
  }
}

/**
 * Splits a template into text and action tokens as Go's text/template lexer does: `{{` `}}`, trim markers
 * `{{- ` and ` -}}` (which remove the white space next to them), and comments `{{/* … *\/}}`.
 */
export function lex(template: string, text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advance = (to: number) => {
    for (; i < to; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };
  const push = (kind: TokenKind, from: number, value?: unknown) => {
    const t: Token = { kind, text: text.slice(from, i), line, column: from - lineStart + 1, offset: from };
    if (value !== undefined) t.value = value;
    tokens.push(t);
  };
  const where = (at: number): Where => ({
    template,
    line,
    column: at - lineStart + 1,
    source: text.slice(at, at + 40),
  });
  let trimNext = false;

  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const end = open === -1 ? text.length : open;
    const trimLeft = open !== -1 && text[open + 2] === '-' && SPACE.test(text[open + 3] ?? '');
    let start = i;
    if (trimNext) while (start < end && SPACE.test(text[start] as string)) start++;
    let stop = end;
    if (trimLeft) while (stop > start && SPACE.test(text[stop - 1] as string)) stop--;
    advance(start);
    if (stop > start) {
      const from = i;
      advance(stop);
      tokens.push({
        kind: 'text',
        text: text.slice(from, stop),
        line,
        column: from - lineStart + 1,
        offset: from,
      });
    }
    advance(end);
    trimNext = false;
    if (open === -1) break;
    const actionAt = i;
    i = open + (trimLeft ? 4 : 2);
    // A comment is the whole action.
    let j = i;
    while (SPACE.test(text[j] ?? '')) j++;
    if (text.startsWith('/*', j)) {
      const close = text.indexOf('*/', j + 2);
      if (close === -1) throw new TemplateError(where(actionAt), 'unclosed comment');
      advance(close + 2);
      let k = i;
      while (SPACE.test(text[k] ?? '')) k++;
      if (text.startsWith('-}}', k) && k > i) {
        trimNext = true;
        advance(k + 3);
      } else if (text.startsWith('}}', k)) advance(k + 2);
      else throw new TemplateError(where(actionAt), 'comment ends before closing delimiter');
      continue;
    }
    push('open', actionAt);
    // The action's tokens, up to }} or -}}.
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new TemplateError(where(actionAt), 'unclosed action');
      const from = i;
      if (c === '-' && text.startsWith('-}}', i) && SPACE.test(text[i - 1] ?? '')) {
        advance(i + 3);
        push('close', from);
        trimNext = true;
        break;
      }
      if (text.startsWith('}}', i)) {
        advance(i + 2);
        push('close', from);
        break;
      }
      if (SPACE.test(c)) {
        while (SPACE.test(text[i] ?? '')) advance(i + 1);
        push('space', from);
      } else if (c === '(') {
        i++;
        push('lparen', from);
      } else if (c === ')') {
        i++;
        push('rparen', from);
      } else if (c === '|') {
        i++;
        push('pipe', from);
      } else if (c === ',') {
        i++;
        push('comma', from);
      } else if (c === ':' && text[i + 1] === '=') {
        i += 2;
        push('declare', from);
      } else if (c === '=') {
        i++;
        push('assign', from);
      } else if (c === '"') {
        let k = i + 1;
        while (k < text.length && text[k] !== '"' && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
        if (text[k] !== '"') throw new TemplateError(where(from), 'unterminated quoted string');
        const raw = text.slice(i, k + 1);
        i = k + 1;
        push(
          'string',
          from,
          unquote(raw, () => where(from)),
        );
      } else if (c === '`') {
        const k = text.indexOf('`', i + 1);
        if (k === -1) throw new TemplateError(where(from), 'unterminated raw quoted string');
        const value = text.slice(i + 1, k);
        advance(k + 1);
        push('string', from, value);
      } else if (c === "'") {
        const m = /^'(\\.|[^'\\])'/.exec(text.slice(i));
        if (!m) throw new TemplateError(where(from), 'bad character constant');
        i += m[0].length;
        const ch = m[1]?.startsWith('\\') ? unquote(`"${m[1]}"`, () => where(from)) : (m[1] as string);
        push('char', from, BigInt(ch.codePointAt(0) ?? 0));
      } else if (c === '.' && !/\d/.test(text[i + 1] ?? '')) {
        i++;
        if (IDENT_START.test(text[i] ?? '')) {
          while (IDENT.test(text[i] ?? '')) i++;
          push('field', from);
        } else push('dot', from);
      } else if (c === '$') {
        i++;
        while (IDENT.test(text[i] ?? '')) i++;
        push('variable', from);
      } else if (/[\d.+-]/.test(c)) {
        const m = NUMBER.exec(text.slice(i));
        if (!m || m[0] === '' || m[0] === '-' || m[0] === '+')
          throw new TemplateError(where(from), `bad character ${JSON.stringify(c)}`);
        i += m[0].length;
        const raw = m[0].replaceAll('_', '');
        const isInt = /^[+-]?(0[xXbBoO][\da-fA-F]+|\d+)$/.test(raw);
        const body = raw.replace(/^[+-]/, '');
        const value = isInt ? (raw.startsWith('-') ? -BigInt(body) : BigInt(body)) : Number(raw);
        push('number', from, value);
      } else if (IDENT_START.test(c)) {
        while (IDENT.test(text[i] ?? '')) i++;
        const word = text.slice(from, i);
        if (word === 'true' || word === 'false') push('bool', from, word === 'true');
        else push('identifier', from);
      } else throw new TemplateError(where(from), `unexpected ${JSON.stringify(c)} in action`);
    }
  }
  tokens.push({ kind: 'eof', text: '', line, column: i - lineStart + 1, offset: i });
  return tokens;
}
