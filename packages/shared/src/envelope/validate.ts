import { Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type Envelope, EVENT_TYPES, EventDataSchemas, type EventType } from './schema.js';

// The envelope is checked in two steps so an error names the exact field: first the common fields,
// then `data` against the schema of its event_type (a plain union would only say "no branch matched").
const Base = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    event_type: Type.String(),
    timestamp: Type.Integer({ minimum: 0, maximum: 99_999_999_999 }),
    kong_node_id: Type.String(),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);

interface Validators {
  base: ValidateFunction;
  data: Record<EventType, ValidateFunction>;
}
function validators(allErrors: boolean): Validators {
  const ajv = new Ajv({ allErrors, strict: false });
  return {
    base: ajv.compile(Base),
    data: Object.fromEntries(EVENT_TYPES.map((t) => [t, ajv.compile(EventDataSchemas[t])])) as Record<
      EventType,
      ValidateFunction
    >,
  };
}
// Pass/fail stops at the first error, so a valid or huge item costs one pass. Every error is collected
// only for small items: on one event holding 300k bad array elements it meant 1.2M errors, seconds of
// stall and hundreds of MB.
const firstError = validators(false);
const everyError = validators(true);

/** Values (objects, arrays, scalars) an item may hold for all its errors to be collected. */
export const MAX_VALUES_FOR_EVERY_ERROR = 2000;
/** Problems listed per item; the rest are summed up in one last problem. */
export const MAX_PROBLEMS_PER_ITEM = 20;

/** Whether `value` holds at most `max` values, counted without walking past `max`. */
function holdsAtMost(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++seen > max) return false;
    if (typeof v !== 'object' || v === null) continue;
    // Stops at `max` instead of copying every value first (Object.values).
    for (const key in v) {
      if (seen + stack.length >= max) return false;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return true;
}

export interface EnvelopeProblem {
  /** JSON pointer of the offending value inside the event, e.g. `/data/status`. */
  pointer: string;
  message: string;
}

function describe(e: ErrorObject, prefix: string): EnvelopeProblem {
  const pointer = prefix + e.instancePath;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${pointer}/${e.params.missingProperty}`, message: 'is required' };
    case 'additionalProperties':
      return { pointer: `${pointer}/${e.params.additionalProperty}`, message: 'is not an envelope field' };
    case 'maximum':
      if (e.instancePath === '/timestamp') {
        return { pointer, message: 'must be Unix seconds (this looks like milliseconds)' };
      }
      return { pointer, message: e.message ?? 'is out of range' };
    case 'anyOf':
      return { pointer, message: 'does not match any allowed form' };
    default:
      return { pointer, message: e.message ?? 'is invalid' };
  }
}

function check(value: object, v: Validators): EnvelopeProblem[] {
  const problems: EnvelopeProblem[] = [];
  if (!v.base(value)) {
    // Union branches of the data schema would only repeat the base error; keep the direct ones.
    for (const e of v.base.errors ?? []) if (!e.schemaPath.includes('anyOf/')) problems.push(describe(e, ''));
  }
  const type = (value as { event_type?: unknown }).event_type;
  const data = (value as { data?: unknown }).data;
  if (typeof type === 'string') {
    const checkData = v.data[type as EventType];
    if (!checkData) {
      problems.push({
        pointer: '/event_type',
        message: `must be one of ${EVENT_TYPES.join(', ')} (got "${type}")`,
      });
    } else if (typeof data === 'object' && data !== null && !checkData(data)) {
      // Drop anyOf wrappers: the branch errors under them already say what was wrong.
      for (const e of checkData.errors ?? []) if (e.keyword !== 'anyOf') problems.push(describe(e, '/data'));
    }
  }
  return problems;
}

/**
 * Checks one value against the envelope schema (empty when valid). Every problem of a small item is found,
 * listed up to MAX_PROBLEMS_PER_ITEM with a last one saying how many more; a large item gets its first.
 */
export function envelopeProblems(value: unknown): EnvelopeProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ pointer: '', message: 'must be a JSON object' }];
  }
  const first = check(value, firstError);
  if (first.length === 0) return [];
  if (!holdsAtMost(value, MAX_VALUES_FOR_EVERY_ERROR)) {
    return [...first, { pointer: '', message: 'further problems are not listed for an item this large' }];
  }
  const all = check(value, everyError);
  if (all.length <= MAX_PROBLEMS_PER_ITEM) return all;
  const more = all.length - MAX_PROBLEMS_PER_ITEM;
  return [...all.slice(0, MAX_PROBLEMS_PER_ITEM), { pointer: '', message: `+${more} more problems` }];
}

export function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    check(value, firstError).length === 0
  );
}
