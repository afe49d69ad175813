import { serve } from '../serve.js';
import type { SchemaJob } from './runner.js';
import { compileSchema, type SchemaVerdict } from './validator.js';

// The JSON Schema validator's thread: large request bodies are parsed and validated here, so a body that
// costs quadratic time (uniqueItems over objects) or unbounded memory is stopped without blocking requests.

type Check = (body: Uint8Array) => SchemaVerdict;
const MAX_SCHEMAS = 1000;
const checks = new Map<string, Check>();

/** The job's schema, compiled once per thread (ajv takes ~150ms): the config's time, not the body's. */
function prepare(job: SchemaJob): Check {
  let c = checks.get(job.schema);
  if (!c) {
    // The gateway compiled the schema before sending it; a config reloaded often cannot grow this.
    if (checks.size >= MAX_SCHEMAS) checks.clear();
    c = compileSchema(JSON.parse(job.schema));
    checks.set(job.schema, c);
  }
  return c;
}

serve((job: SchemaJob, check: Check) => check(job.body), prepare);
