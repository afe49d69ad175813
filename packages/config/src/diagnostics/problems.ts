import { DURATION_PATTERN } from '@switchyard/shared';
import type { ErrorObject } from 'ajv';
import { escapePointer } from '../json/parse-with-positions.js';
import { didYouMean, nearMiss } from './near-miss.js';

/** A schema violation, independent of where the value came from (file, environment, library call). */
export type Problem =
  | { kind: 'unknown-key'; pointer: string; key: string; hint?: string; suggestion?: string }
  | { kind: 'missing'; pointer: string; parent: string; key: string; why?: string }
  | {
      kind: 'invalid';
      pointer: string;
      expected: string;
      got: unknown;
      hint?: string;
      keyword?: string;
      /** The value is a secret (`x-secret` on its schema): never shown. */
      secret?: boolean;
    };

type SchemaLike = Record<string, unknown>;

const PATTERN_NAMES: Record<string, string> = {
  [DURATION_PATTERN]: 'a duration such as 2s, 1m30s or 250ms',
  '^https?://': 'an http:// or https:// URL',
  '^amqps?://': 'an amqp:// or amqps:// URL',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** The literal values a schema allows, when it is a union of literals or an enum. */
export function choicesOf(schema: unknown): unknown[] | undefined {
  const s = schema as SchemaLike | undefined;
  if (!s) return undefined;
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  if (Array.isArray(s.anyOf) && s.anyOf.every((b) => typeof b === 'object' && b !== null && 'const' in b)) {
    return s.anyOf.map((b) => (b as SchemaLike).const);
  }
  return undefined;
}

export const oneOfText = (values: readonly unknown[]): string =>
  values.length === 1
    ? JSON.stringify(values[0])
    : `one of ${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;

/** How a value reads in a message: strings quoted, containers by kind. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function expectation(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  // A schema may say in words what its combination of keys must be (`x-expected`).
  const said = (e.parentSchema as SchemaLike)?.['x-expected'];
  if ((e.keyword === 'anyOf' || e.keyword === 'not') && typeof said === 'string') return said;
  switch (e.keyword) {
    case 'type':
      return String(p.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
    case 'const':
    case 'enum':
    case 'anyOf': {
      const choices = choicesOf(e.parentSchema);
      return choices ? oneOfText(choices) : 'a value of one of the allowed forms';
    }
    case 'pattern':
      // A schema may name its pattern in words (`x-expected`), e.g. "host:port".
      if (typeof (e.parentSchema as SchemaLike)?.['x-expected'] === 'string') {
        return (e.parentSchema as SchemaLike)['x-expected'] as string;
      }
      return PATTERN_NAMES[String(p.pattern)] ?? `a string matching ${String(p.pattern)}`;
    case 'minimum':
      return `a number ≥ ${p.limit}`;
    case 'maximum':
      return `a number ≤ ${p.limit}`;
    case 'exclusiveMinimum':
      return `a number > ${p.limit}`;
    case 'exclusiveMaximum':
      return `a number < ${p.limit}`;
    case 'minLength':
      return p.limit === 1 ? 'a non-empty string' : `a string of at least ${p.limit} characters`;
    case 'maxLength':
      return `a string of at most ${p.limit} characters`;
    case 'minItems':
      return `at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `at most ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    default:
      return e.message ?? 'a valid value';
  }
}

/**
 * Turns ajv's errors into problems: one per offending value, with what was expected and a near-miss hint
 * where a typo is likely. Errors from inside the branches of a union are dropped (the union's own error
 * already lists the choices), as are `if` errors (the `then` branch reports the real problem).
 */
export function problemsFromAjv(errors: readonly ErrorObject[] | null | undefined, prefix = ''): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    if (e.keyword === 'if' || /\/anyOf\/\d+\//.test(e.schemaPath)) continue;
    const pointer = prefix + e.instancePath;
    let problem: Problem;
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      const props = Object.keys(((e.parentSchema as SchemaLike)?.properties as SchemaLike) ?? {});
      const suggestion = nearMiss(key, props);
      problem = {
        kind: 'unknown-key',
        pointer: `${pointer}/${escapePointer(key)}`,
        key,
        ...(suggestion !== undefined && { suggestion, hint: `did you mean ${JSON.stringify(suggestion)}?` }),
      };
    } else if (e.keyword === 'required') {
      const key = String(e.params.missingProperty);
      // A conditional requirement says why (`x-why` on the schema that requires it).
      const why = (e.parentSchema as SchemaLike)?.['x-why'];
      problem = {
        kind: 'missing',
        pointer: `${pointer}/${escapePointer(key)}`,
        parent: pointer,
        key,
        ...(typeof why === 'string' && { why }),
      };
    } else {
      const choices = choicesOf(e.parentSchema);
      const hint =
        choices && typeof e.data === 'string'
          ? didYouMean(
              e.data,
              choices.filter((c): c is string => typeof c === 'string'),
            )
          : undefined;
      problem = {
        kind: 'invalid',
        pointer,
        expected: expectation(e),
        got: e.data,
        keyword: e.keyword,
        ...(hint && { hint }),
        ...((e.parentSchema as SchemaLike)?.['x-secret'] === true && { secret: true }),
      };
    }
    const id = `${problem.kind} ${problem.pointer}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(problem);
  }
  // A required key that is only misspelt is reported once, as the unknown key with its suggestion.
  const misspelt = new Set(
    out.flatMap((p) =>
      p.kind === 'unknown-key' && p.suggestion
        ? [`${p.pointer.slice(0, p.pointer.lastIndexOf('/'))}/${escapePointer(p.suggestion)}`]
        : [],
    ),
  );
  return out.filter((p) => p.kind !== 'missing' || !misspelt.has(p.pointer));
}

/** The message text of a problem, without location. */
export function problemMessage(p: Problem): string {
  switch (p.kind) {
    case 'unknown-key':
      return 'unknown key';
    case 'missing':
      return `missing required key ${JSON.stringify(p.key)}${p.why ? ` (${p.why})` : ''}`;
    case 'invalid':
      return `expected ${p.expected}, got ${p.secret ? '(hidden)' : show(p.got)}`;
  }
}
