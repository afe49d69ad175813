import { SwitchyardError } from '@switchyard/shared';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { ResponseError } from '../errors/status.js';
import { failed, type Stage } from '../pipeline/types.js';

export const JSON_SCHEMA = 'validation/json-schema';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const EMPTY_BODY = 'could not validate an empty body';
const DEEP_BODY = 'the body is nested too deeply to validate';

/**
 * `pattern` and `patternProperties` as gojsonschema runs them: Go regular expressions, matched in linear
 * time by re2js, so no body can make a pattern backtrack (ajv's default is a JS RegExp).
 */
const goRegExp = Object.assign(
  (pattern: string) => {
    const re = RE2JS.compile(pattern);
    // ajv caches compiled patterns by toString(): each must name its own pattern.
    return { test: (s: string) => re.test(s), toString: () => `re2js:${pattern}` };
  },
  { code: 're2js' },
);

/**
 * The ajv flavour for the draft a schema declares: 2020-12 and 2019-09 have their own classes, every
 * other (draft-07, -06, none) the default one, as gojsonschema picks its draft from `$schema`.
 */
function ajvFor(schema: unknown): Ajv {
  const draft =
    typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : '';
  const options = {
    allErrors: true,
    strict: false,
    validateSchema: true,
    code: { regExp: goRegExp },
  } as const;
  const ajv =
    typeof draft === 'string' && draft.includes('2020-12')
      ? new Ajv2020(options)
      : typeof draft === 'string' && draft.includes('2019-09')
        ? new Ajv2019(options)
        : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

/** gojsonschema's field names: `(root)` for the document, dot paths below it. */
function field(e: ErrorObject): string {
  if (e.instancePath === '') return '(root)';
  return e.instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** One line per violation, as krakend-jsonschema joins them: `- field: description`. */
function describe(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `- ${field(e)}: ${e.message ?? 'is invalid'}`).join('\n');
}

const mismatch = (message: string, details?: Record<string, unknown>) =>
  failed(new ResponseError('SWY_SCHEMA_MISMATCH', message, { status: 400, details }));

/**
 * `validation/json-schema` (endpoint level), as krakend-jsonschema: the request body must be JSON valid
 * against the namespace's schema before any backend is called; otherwise the endpoint answers 400 (the
 * violations as the body with `return_error_msg`). An empty or unparsable body is a 400 as well. A schema
 * ajv cannot compile leaves the endpoint unserved (KrakenD would serve it without validation).
 */
export function withJsonSchema(schema: unknown, where: string, next: Stage): Stage {
  let validate: ValidateFunction;
  try {
    validate = ajvFor(schema).compile(schema as object | boolean);
  } catch (err) {
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where} ${JSON_SCHEMA}: the schema cannot be compiled: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return (req) => {
    if (!req.body || req.body.length === 0) return Promise.resolve(mismatch(EMPTY_BODY));
    let doc: unknown;
    try {
      doc = JSON.parse(req.body.toString('utf8'));
    } catch (err) {
      return Promise.resolve(mismatch((err as Error).message));
    }
    let valid: boolean;
    try {
      valid = validate(doc) as boolean;
    } catch (err) {
      // A body nested deeper than the stack (a recursive $ref) is the client's fault, not the gateway's.
      if (err instanceof RangeError) return Promise.resolve(mismatch(DEEP_BODY));
      throw err;
    }
    if (!valid) {
      const errors = validate.errors ?? [];
      return Promise.resolve(mismatch(describe(errors), { violations: errors.length }));
    }
    return next(req);
  };
}
