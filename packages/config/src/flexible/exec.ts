import type { Command, Node, Operand, Pipeline, Where } from './ast.js';
import { TemplateError } from './error.js';
import { isMap, printValue, truthy } from './values.js';

/** A template function: Go's `func(args…) (value, error)`; a throw is the error. */
export type TemplateFunction = (...args: unknown[]) => unknown;

export interface ExecOptions {
  templates: ReadonlyMap<string, Node[]>;
  functions: Readonly<Record<string, TemplateFunction>>;
  /** Largest output, in characters, before rendering stops [64 MiB]. */
  maxOutput?: number;
  /** Most nodes and range iterations one rendering may run [10 million]: nested ranges that print nothing
   * would otherwise run unbounded (a hung reload), as no output limit is ever reached. */
  maxSteps?: number;
}

// Go stops at 100000 nested template calls; a config never needs more than a few.
const MAX_DEPTH = 1000;

class Flow {
  constructor(readonly kind: 'break' | 'continue') {}
}

interface Variable {
  name: string;
  value: unknown;
}

/** Runs the template `name` with `data` as `.` and `$`, as Go's ExecuteTemplate. */
export function execute(name: string, data: unknown, options: ExecOptions): string {
  const maxOutput = options.maxOutput ?? 64 * 1024 * 1024;
  const maxSteps = options.maxSteps ?? 10_000_000;
  let out = '';
  let depth = 0;
  let steps = 0;
  const step = (where: Where | undefined) => {
    if (++steps > maxSteps)
      throw new TemplateError(
        where ?? { template: name, line: 0, column: 0, source: '' },
        `more than ${maxSteps} steps: a loop too large for a configuration`,
        true,
      );
  };
  const write = (s: string, where: Where | null) => {
    out += s;
    if (out.length > maxOutput)
      throw new TemplateError(
        where ?? { template: name, line: 0, column: 0, source: '' },
        `output larger than ${maxOutput} characters`,
        true,
      );
  };

  const run = (nodes: Node[], dot: unknown, vars: Variable[]) => {
    for (const node of nodes) walk(node, dot, vars);
  };

  const walk = (node: Node, dot: unknown, vars: Variable[]): void => {
    step('where' in node ? node.where : 'pipe' in node ? node.pipe.where : undefined);
    switch (node.kind) {
      case 'text':
        write(node.text, null);
        return;
      case 'action': {
        const value = evalPipeline(node.pipe, dot, vars);
        // A declaration prints nothing; the variable lives until the end of the enclosing block.
        if (node.pipe.vars.length === 0) write(printValue(value), node.pipe.where);
        return;
      }
      case 'if':
      case 'with': {
        const mark = vars.length;
        const value = evalPipeline(node.pipe, dot, vars);
        if (truthy(value)) run(node.body, node.kind === 'with' ? value : dot, vars);
        else if (node.otherwise) run(node.otherwise, dot, vars);
        vars.length = mark;
        return;
      }
      case 'range':
        range(node, dot, vars);
        return;
      case 'template': {
        const body = options.templates.get(node.name);
        if (!body) throw new TemplateError(node.where, `no such template "${node.name}"`, true);
        if (++depth > MAX_DEPTH)
          throw new TemplateError(node.where, `exceeded maximum template depth (${MAX_DEPTH})`, true);
        const value = node.pipe ? evalPipeline(node.pipe, dot, vars) : null;
        run(body, value, [{ name: '$', value }]);
        depth--;
        return;
      }
      case 'break':
      case 'continue':
        throw new Flow(node.kind);
    }
  };

  const range = (node: Extract<Node, { kind: 'range' }>, dot: unknown, vars: Variable[]) => {
    const mark = vars.length;
    const pipe = { ...node.pipe, vars: [] };
    const value = evalPipeline(pipe, dot, vars);
    let entries: [unknown, unknown][];
    if (Array.isArray(value)) entries = value.map((v, i) => [BigInt(i), v]);
    else if (isMap(value))
      entries = Object.keys(value)
        .sort()
        .map((k) => [k, value[k]]);
    else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
      const n = Number(value);
      if (n > 10_000_000)
        throw new TemplateError(node.pipe.where, `range over ${n}: too many iterations`, true);
      entries = Array.from({ length: Math.max(0, n) }, (_, i) => [BigInt(i), BigInt(i)]);
    } else if (value === null || value === undefined) entries = [];
    else throw new TemplateError(node.pipe.where, `range can't iterate over ${printValue(value)}`, true);
    if (entries.length === 0) {
      if (node.otherwise) run(node.otherwise, dot, vars);
      return;
    }
    const [first, second] = node.pipe.vars;
    for (const [key, elem] of entries) {
      step(node.pipe.where);
      vars.length = mark;
      // One variable takes the element; two take key (index) and element.
      if (first !== undefined && second === undefined) vars.push({ name: first, value: elem });
      if (first !== undefined && second !== undefined)
        vars.push({ name: first, value: key }, { name: second, value: elem });
      try {
        run(node.body, elem, vars);
      } catch (err) {
        if (!(err instanceof Flow)) throw err;
        if (err.kind === 'break') break;
      }
    }
    vars.length = mark;
  };

  const lookupVar = (name: string, where: Where, vars: Variable[]): unknown => {
    for (let i = vars.length - 1; i >= 0; i--)
      if ((vars[i] as Variable).name === name) return (vars[i] as Variable).value;
    throw new TemplateError(where, `undefined variable: ${name}`, true);
  };

  /**
   * Go's field chain on maps: a missing key is an invalid value, and fields of it are invalid too (they
   * print `<no value>`, test false); a key holding null is a nil interface, and a field of it an error.
   */
  const field = (value: unknown, names: string[], where: Where): unknown => {
    let v = value;
    for (const n of names) {
      if (v === undefined) return undefined;
      if (v === null) throw new TemplateError(where, `nil pointer evaluating interface {}.${n}`, true);
      if (!isMap(v)) throw new TemplateError(where, `can't evaluate field ${n} in type ${goType(v)}`, true);
      v = Object.hasOwn(v, n) ? v[n] : undefined;
    }
    return v;
  };

  const evalArg = (o: Operand, dot: unknown, vars: Variable[], where: Where): unknown => {
    switch (o.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'literal':
        return o.value;
      case 'field':
        return field(dot, o.names, where);
      case 'variable':
        return field(lookupVar(o.name, where, vars), o.names, where);
      case 'pipeline':
        return field(evalPipeline(o.pipe, dot, vars), o.names, where);
      case 'function':
        return call(o.name, [], dot, vars, where, undefined);
    }
  };

  const call = (
    name: string,
    args: Operand[],
    dot: unknown,
    vars: Variable[],
    where: Where,
    final: { value: unknown } | undefined,
  ): unknown => {
    // and/or stop at the first operand that decides, as Go's do (the rest are not evaluated).
    if (name === 'and' || name === 'or') {
      const all = args.map((a) => () => evalArg(a, dot, vars, where));
      if (final) all.push(() => final.value);
      if (all.length === 0)
        throw new TemplateError(where, `wrong number of args for ${name}: want at least 1 got 0`, true);
      let v: unknown;
      for (const get of all) {
        v = get();
        if (name === 'and' ? !truthy(v) : truthy(v)) return v;
      }
      return v;
    }
    const fn = options.functions[name];
    if (!fn) throw new TemplateError(where, `function "${name}" not defined`, true);
    const values = args.map((a) => evalArg(a, dot, vars, where));
    if (final) values.push(final.value);
    try {
      return fn(...values);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      throw new TemplateError(where, `error calling ${name}: ${(err as Error).message}`, true);
    }
  };

  const evalCommand = (
    cmd: Command,
    dot: unknown,
    vars: Variable[],
    where: Where,
    final?: { value: unknown },
  ) => {
    const [head, ...rest] = cmd.args as [Operand, ...Operand[]];
    if (head.kind === 'function') return call(head.name, rest, dot, vars, where, final);
    if (rest.length > 0 || final)
      throw new TemplateError(where, `can't give argument to non-function ${describeOperand(head)}`, true);
    if (head.kind === 'nil') throw new TemplateError(where, 'nil is not a command', true);
    return evalArg(head, dot, vars, where);
  };

  const evalPipeline = (pipe: Pipeline, dot: unknown, vars: Variable[]): unknown => {
    let value: { value: unknown } | undefined;
    for (const cmd of pipe.commands) value = { value: evalCommand(cmd, dot, vars, pipe.where, value) };
    const result = value?.value;
    for (const v of pipe.vars) {
      if (pipe.assign) {
        const found = [...vars].reverse().find((x) => x.name === v);
        if (!found) throw new TemplateError(pipe.where, `undefined variable: ${v}`, true);
        found.value = result;
      } else vars.push({ name: v, value: result });
    }
    return result;
  };

  const body = options.templates.get(name);
  if (!body)
    throw new TemplateError({ template: name, line: 0, column: 0, source: '' }, `no such template "${name}"`);
  try {
    run(body, data, [{ name: '$', value: data }]);
  } catch (err) {
    if (err instanceof Flow)
      throw new TemplateError(
        { template: name, line: 0, column: 0, source: err.kind },
        `{{${err.kind}}} outside {{range}}`,
      );
    throw err;
  }
  return out;
}

function describeOperand(o: Operand): string {
  if (o.kind === 'field') return `.${o.names.join('.')}`;
  if (o.kind === 'variable') return [o.name, ...o.names].join('.');
  if (o.kind === 'literal') return printValue(o.value);
  return o.kind;
}

/** Go's name of a value's type, for messages. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
