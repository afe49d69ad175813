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

const ajv = new Ajv({ allErrors: true, strict: false });
const validateBase = ajv.compile(Base);
const validateData = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, ajv.compile(EventDataSchemas[t])]),
) as Record<EventType, ValidateFunction>;

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

/** Checks one value against the envelope schema; returns every problem found (empty when valid). */
export function envelopeProblems(value: unknown): EnvelopeProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ pointer: '', message: 'must be a JSON object' }];
  }
  const problems: EnvelopeProblem[] = [];
  if (!validateBase(value)) {
    // Union branches of the data schema would only repeat the base error; keep the direct ones.
    for (const e of validateBase.errors ?? [])
      if (!e.schemaPath.includes('anyOf/')) problems.push(describe(e, ''));
  }
  const type = (value as { event_type?: unknown }).event_type;
  const data = (value as { data?: unknown }).data;
  if (typeof type === 'string') {
    const check = validateData[type as EventType];
    if (!check) {
      problems.push({
        pointer: '/event_type',
        message: `must be one of ${EVENT_TYPES.join(', ')} (got "${type}")`,
      });
    } else if (typeof data === 'object' && data !== null && !check(data)) {
      // Drop anyOf wrappers: the branch errors under them already say what was wrong.
      for (const e of check.errors ?? []) if (e.keyword !== 'anyOf') problems.push(describe(e, '/data'));
    }
  }
  return problems;
}

export function isEnvelope(value: unknown): value is Envelope {
  return envelopeProblems(value).length === 0;
}
