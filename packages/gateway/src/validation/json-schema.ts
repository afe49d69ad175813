import { SwitchyardError } from '@switchyard/shared';
import { ResponseError } from '../errors/status.js';
import { failed, type ProxyRequest, type ProxyResult, type Stage } from '../pipeline/types.js';
import type { SchemaRunner } from './json-schema/runner.js';
import { compileSchema, type SchemaVerdict } from './json-schema/validator.js';
import type { Outcome } from './runner.js';

export const JSON_SCHEMA = 'validation/json-schema';

const EMPTY_BODY = 'could not validate an empty body';

/**
 * Bodies up to this size are validated on the gateway's thread: at most ~100 array items, so even the
 * worst (uniqueItems over small arrays, quadratic in ajv) takes ~0.1ms, what a trip to the validator's
 * thread costs (~60µs); at 1 KiB it is already ~0.7ms. Larger ones go to that thread, with its budget.
 */
export const INLINE_MAX_BYTES = 512;

const mismatch = (message: string, details?: Record<string, unknown>) =>
  failed(new ResponseError('SWY_SCHEMA_MISMATCH', message, { status: 400, details }));

/**
 * `validation/json-schema` (endpoint level), as krakend-jsonschema: the request body must be JSON valid
 * against the namespace's schema before any backend is called; otherwise the endpoint answers 400 (the
 * violations as the body with `return_error_msg`). An empty or unparsable body is a 400 as well. A schema
 * ajv cannot compile leaves the endpoint unserved (KrakenD would serve it without validation). A body the
 * validator's thread cannot finish within its budget or heap is a 400 too (SWY_SCHEMA_STOPPED); one
 * refused because too many wait is a 503 (SWY_SCHEMA_BUSY).
 */
export function withJsonSchema(schema: unknown, where: string, runner: SchemaRunner, next: Stage): Stage {
  let check: (body: Uint8Array) => SchemaVerdict;
  try {
    check = compileSchema(schema);
  } catch (err) {
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where} ${JSON_SCHEMA}: the schema cannot be compiled: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const text = JSON.stringify(schema);
  const answer = (req: ProxyRequest, v: SchemaVerdict): Promise<ProxyResult> => {
    if (v.valid) return next(req);
    const details = v.violations === undefined ? undefined : { violations: v.violations };
    return Promise.resolve(mismatch(v.message, details));
  };
  const stopped = (req: ProxyRequest, o: Outcome<SchemaVerdict> & { ok: false }): ProxyResult => {
    // The request ended (deadline, client gone): it fails as any stage does when its scope aborts.
    if (req.scope.reason) return failed(req.scope.reason);
    const message = `the body could not be validated: ${o.reason}`;
    return failed(
      o.busy
        ? new ResponseError('SWY_SCHEMA_BUSY', message, { status: 503 })
        : new ResponseError('SWY_SCHEMA_STOPPED', message, { status: 400 }),
    );
  };
  return (req) => {
    if (!req.body || req.body.length === 0) return Promise.resolve(mismatch(EMPTY_BODY));
    if (req.body.length <= INLINE_MAX_BYTES) return answer(req, check(req.body));
    return runner
      .check(text, req.body, req.scope)
      .then((o) => (o.ok ? answer(req, o.value) : stopped(req, o)));
  };
}
