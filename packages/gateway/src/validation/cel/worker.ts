import { serve } from '../serve.js';
import { type CelJob, type CelVerdict, celEnvironment } from './environment.js';

// The CEL evaluator's thread: the gateway's thread sends it jobs and stops it (terminate) when one runs
// over its time budget, so an expression that explodes never blocks the requests.

const env = celEnvironment();
const MAX_PROGRAMS = 1000;
const programs = new Map<string, (ctx: Record<string, unknown>) => unknown>();

function program(source: string): (ctx: Record<string, unknown>) => unknown {
  let p = programs.get(source);
  if (!p) {
    // The gateway checked the expression before sending it; a config reloaded often cannot grow this.
    if (programs.size >= MAX_PROGRAMS) programs.clear();
    p = env.parse(source);
    programs.set(source, p);
  }
  return p;
}

function kind(v: unknown): string {
  if (v === false) return 'false';
  if (v === null) return 'null';
  return Array.isArray(v) ? 'list' : typeof v;
}

function evaluate(job: CelJob): CelVerdict {
  for (let i = 0; i < job.sources.length; i++) {
    let result: unknown;
    try {
      result = program(job.sources[i] as string)(job.activation);
    } catch (err) {
      return { failed: i, reason: err instanceof Error ? err.message : String(err) };
    }
    // Only the result's type: its value may be a token or a claim, which must not reach logs.
    if (result !== true) return { failed: i, reason: `the result is not true (${kind(result)})` };
  }
  return { failed: -1 };
}

serve(evaluate);
