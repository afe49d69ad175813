import type { Command, Node, Operand, Pipeline, Where } from './ast.js';
import { TemplateError } from './error.js';
import { lex, type Token } from './lex.js';

export interface ParsedTemplates {
  /** Every template by name: the file's own (named by the file) and each `define`/`block`. */
  templates: Map<string, Node[]>;
}

/**
 * Parses one template file into `into`: the file's body under `name` and each `{{define}}` under its
 * own name, as Go's template.ParseFiles does. Errors name the file, line:column and what was expected.
 */
export function parseTemplate(name: string, text: string, into: Map<string, Node[]>): void {
  const tokens = lex(name, text);
  let p = 0;
  const lines = text.split('\n');
  const where = (t: Token): Where => {
    // The action's source: from the token to the end of its action, for messages.
    const rest = text.slice(t.offset);
    const close = rest.indexOf('}}');
    const source = (close === -1 ? rest : rest.slice(0, close))
      .replace(/^\{\{-?\s*/, '')
      .replace(/\s*-?$/, '');
    return {
      template: name,
      line: t.line,
      column: t.column,
      source: source || (lines[t.line - 1] ?? '').trim(),
    };
  };
  const peek = (): Token => tokens[p] as Token;
  const next = (): Token => tokens[p++] as Token;
  const fail = (t: Token, message: string): never => {
    throw new TemplateError(where(t), message);
  };
  const skipSpace = () => {
    while (peek().kind === 'space') p++;
  };
  const expect = (kind: Token['kind'], context: string): Token => {
    skipSpace();
    const t = next();
    if (t.kind !== kind) fail(t, `unexpected ${describe(t)} in ${context}`);
    return t;
  };

  /** Field names chained after an operand: `.a.b`. */
  const chain = (): string[] => {
    const names: string[] = [];
    while (peek().kind === 'field') names.push(next().text.slice(1));
    return names;
  };

  const operand = (): Operand | null => {
    const t = peek();
    switch (t.kind) {
      case 'dot':
        p++;
        return { kind: 'dot' };
      case 'field':
        return { kind: 'field', names: chain() };
      case 'variable':
        p++;
        return { kind: 'variable', name: t.text, names: chain() };
      case 'string':
      case 'number':
      case 'bool':
      case 'char':
        p++;
        return { kind: 'literal', value: t.value };
      case 'identifier':
        p++;
        if (t.text === 'nil') return { kind: 'nil' };
        if (KEYWORDS.has(t.text)) fail(t, `unexpected keyword ${t.text} in operand`);
        return { kind: 'function', name: t.text };
      case 'lparen': {
        p++;
        const pipe = pipeline(t, 'parenthesized pipeline', 'rparen');
        return { kind: 'pipeline', pipe, names: chain() };
      }
      default:
        return null;
    }
  };

  /** A pipeline up to `end` (close or rparen); declarations first when `decl`. */
  const pipeline = (start: Token, context: string, end: 'close' | 'rparen', maxVars = 1): Pipeline => {
    const pipe: Pipeline = { vars: [], assign: false, commands: [], where: where(start) };
    skipSpace();
    // Declarations: $x := / $x = / $i, $e :=
    const save = p;
    const vars: string[] = [];
    while (peek().kind === 'variable') {
      vars.push(next().text);
      skipSpace();
      if (peek().kind === 'comma' && vars.length < maxVars) {
        p++;
        skipSpace();
        continue;
      }
      break;
    }
    const op = peek().kind;
    if (vars.length > 0 && (op === 'declare' || op === 'assign')) {
      p++;
      pipe.vars = vars;
      pipe.assign = op === 'assign';
    } else p = save;
    let command: Command = { args: [] };
    for (;;) {
      skipSpace();
      const t = peek();
      if (t.kind === end) {
        p++;
        break;
      }
      if (t.kind === 'pipe') {
        p++;
        if (command.args.length === 0) fail(t, `missing command before "|" in ${context}`);
        pipe.commands.push(command);
        command = { args: [] };
        continue;
      }
      if (t.kind === 'eof' || t.kind === 'close' || t.kind === 'rparen') fail(t, `unclosed ${context}`);
      const o = operand();
      if (!o) fail(t, `unexpected ${describe(t)} in ${context}`);
      command.args.push(o as Operand);
      const after = peek().kind;
      if (after !== 'space' && after !== end && after !== 'pipe' && after !== 'rparen')
        fail(peek(), `unexpected ${describe(peek())} in operand`);
    }
    if (command.args.length > 0) pipe.commands.push(command);
    else if (pipe.commands.length > 0) fail(start, `missing command after "|" in ${context}`);
    if (pipe.commands.length === 0 && context !== 'template call')
      fail(start, `missing value for ${context}`);
    return pipe;
  };

  type Stop = { keyword: 'end' | 'else' | 'eof'; token: Token; elseOf?: Token };

  /** Nodes until `{{end}}`, `{{else …}}` or the end of the file. */
  const list = (inside: string | null, inRange = false): { nodes: Node[]; stop: Stop } => {
    const nodes: Node[] = [];
    for (;;) {
      const t = next();
      if (t.kind === 'eof') {
        if (inside) fail(t, `unexpected EOF: {{${inside}}} has no {{end}}`);
        return { nodes, stop: { keyword: 'eof', token: t } };
      }
      if (t.kind === 'text') {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      // an action
      skipSpace();
      const head = peek();
      if (head.kind === 'identifier') {
        switch (head.text) {
          case 'end':
            p++;
            expect('close', 'end');
            if (!inside) fail(head, 'unexpected {{end}}');
            return { nodes, stop: { keyword: 'end', token: head } };
          case 'else':
            p++;
            if (!inside || inside === 'define') fail(head, 'unexpected {{else}}');
            return { nodes, stop: { keyword: 'else', token: head } };
          case 'if':
          case 'with':
          case 'range':
            p++;
            nodes.push(control(head.text, head, inRange));
            continue;
          case 'template':
          case 'block': {
            p++;
            const nameTok = expect('string', head.text);
            skipSpace();
            let pipe: Pipeline | null = null;
            if (peek().kind === 'close') p++;
            else pipe = pipeline(head, 'template call', 'close');
            const tname = nameTok.value as string;
            nodes.push({ kind: 'template', name: tname, pipe, where: where(head) });
            if (head.text === 'block') {
              const body = list('block');
              if (body.stop.keyword !== 'end') fail(body.stop.token, 'unexpected {{else}} in block');
              define(tname, body.nodes);
            }
            continue;
          }
          case 'define': {
            p++;
            if (inside) fail(head, 'unexpected {{define}} inside another action');
            const nameTok = expect('string', 'define');
            expect('close', 'define');
            const body = list('define');
            define(nameTok.value as string, body.nodes);
            continue;
          }
          case 'break':
          case 'continue':
            p++;
            expect('close', head.text);
            if (!inRange) fail(head, `{{${head.text}}} outside {{range}}`);
            nodes.push({ kind: head.text, where: where(head) });
            continue;
        }
      }
      nodes.push({ kind: 'action', pipe: pipeline(head, 'command', 'close') });
    }
  };

  const control = (keyword: string, head: Token, outerRange: boolean): Node => {
    const pipe = pipeline(head, keyword, 'close', keyword === 'range' ? 2 : 1);
    // `break`/`continue` belong to the innermost range, also from inside an if or with within it.
    const inRange = keyword === 'range' || outerRange;
    const body = list(keyword, inRange);
    let otherwise: Node[] | null = null;
    if (body.stop.keyword === 'else') {
      skipSpace();
      const t = peek();
      // `else if …` / `else with …` chain: the rest is one nested node up to the shared {{end}}.
      if (t.kind === 'identifier' && (t.text === 'if' || t.text === 'with') && keyword !== 'range') {
        p++;
        otherwise = [control(t.text, t, outerRange)];
      } else {
        expect('close', 'else');
        const rest = list(keyword, outerRange);
        if (rest.stop.keyword !== 'end')
          fail(rest.stop.token, `expected {{end}} after {{else}} of {{${keyword}}}`);
        otherwise = rest.nodes;
      }
    }
    return { kind: keyword as 'if' | 'with' | 'range', pipe, body: body.nodes, otherwise };
  };

  const define = (tname: string, nodes: Node[]) => {
    // Go keeps the last non-empty definition; an empty one never replaces a real one.
    const isEmpty = nodes.every((n) => n.kind === 'text' && n.text.trim() === '');
    if (isEmpty && into.has(tname)) return;
    into.set(tname, nodes);
  };

  const body = list(null);
  const isEmpty = body.nodes.every((n) => n.kind === 'text' && n.text.trim() === '');
  if (!(isEmpty && into.has(name))) into.set(name, body.nodes);
}

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'close') return '"}}"';
  return JSON.stringify(t.text);
}
