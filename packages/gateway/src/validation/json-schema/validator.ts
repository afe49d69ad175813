import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';

// The validation itself, the same on the gateway's thread (small bodies) and on the validator's (large).

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const DEEP_BODY = 'the body is nested too deeply to validate';

/** A body's verdict: valid, or the text the endpoint answers 400 with (and how many violations). */
export type SchemaVerdict = { valid: true } | { valid: false; message: string; violations?: number };

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

/** A schema compiled into a check of (non-empty) request bodies; throws when ajv cannot compile it. */
export function compileSchema(schema: unknown): (body: Uint8Array) => SchemaVerdict {
  const validate = ajvFor(schema).compile(schema as object | boolean);
  return (body) => {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch (err) {
      return { valid: false, message: (err as Error).message };
    }
    try {
      if (validate(doc)) return { valid: true };
    } catch (err) {
      // A body nested deeper than the stack (a recursive $ref) is the client's fault, not the gateway's.
      if (err instanceof RangeError) return { valid: false, message: DEEP_BODY };
      throw err;
    }
    const errors = validate.errors ?? [];
    return { valid: false, message: describe(errors), violations: errors.length };
  };
}
