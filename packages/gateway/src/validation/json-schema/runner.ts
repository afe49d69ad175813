import type { Logger } from '@switchyard/shared';
import { type JobScope, type Outcome, WorkerRunner } from '../runner.js';
import type { SchemaVerdict } from './validator.js';

/** One body to validate: the schema as JSON text (the thread compiles and keeps it) and the body's bytes. */
export interface SchemaJob {
  schema: string;
  body: Uint8Array;
}

/** A body's time: enough for linear work (parse, validate) on any body, not for quadratic work. */
export const SCHEMA_BUDGET_MS = 200;
export const SCHEMA_BUDGET_MS_PER_MIB = 100;
/** The thread's heap: a 10 MiB body parses into ~70 MB; a body whose violations outgrow it is stopped. */
const HEAP_MB = 256;
/**
 * The thread's stack, as the gateway thread's (~1 MB): a body nested deeper than it is refused the same
 * way (SWY_SCHEMA_MISMATCH) on either thread, after little work.
 */
const STACK_MB = 1;
/** Compiling a schema the thread has not seen (after a start or reload): the config's time, not a body's. */
const PREPARE_MS = 10_000;
/** Bodies waiting at most: past it one is refused at once instead of queueing without bound. */
export const SCHEMA_QUEUE_MAX = 1000;

/**
 * The JSON Schema validator: a WorkerRunner whose jobs are request bodies. Only gateways that receive a
 * body too large to validate inline start its thread.
 */
export class SchemaRunner {
  private readonly runner: WorkerRunner<SchemaJob, SchemaVerdict>;

  constructor(
    logger: Logger,
    private readonly budgetMs = SCHEMA_BUDGET_MS,
    private readonly msPerMib = SCHEMA_BUDGET_MS_PER_MIB,
    maxQueue = SCHEMA_QUEUE_MAX,
  ) {
    this.runner = new WorkerRunner(logger, {
      entry: new URL('./worker.js', import.meta.url),
      name: 'switchyard-json-schema',
      heapMb: HEAP_MB,
      stackMb: STACK_MB,
      prepareMs: PREPARE_MS,
      budgetMs,
      maxQueue,
      overBudget: (ms) => `the validation ran over its ${ms}ms budget`,
      overPrepare: (ms) => `the schema took over ${ms}ms to compile`,
      busy: (n) => `the validator is busy (${n} requests wait)`,
      exited: (code) => `the validator exited (${code})`,
    });
  }

  /** The body is cloned as it is sent to the thread (once it is the head job): the request keeps its own. */
  check(schema: string, body: Uint8Array, scope?: JobScope): Promise<Outcome<SchemaVerdict>> {
    const budget = this.budgetMs + Math.ceil((body.byteLength / 1048576) * this.msPerMib);
    return this.runner.run({ schema, body }, scope, budget);
  }

  close(): void {
    this.runner.close();
  }
}
