import type { Logger } from '@switchyard/shared';
import { type JobScope, WorkerRunner } from '../runner.js';
import type { CelJob, CelVerdict } from './environment.js';

/** How long one request's expressions may run before the evaluator is stopped and the request refused. */
export const CEL_BUDGET_MS = 200;
/** The evaluator's heap: an expression that allocates without bound ends there, not in the gateway. */
const HEAP_MB = 64;
/** Jobs waiting at most: past it a request is refused at once instead of queueing without bound. */
export const CEL_QUEUE_MAX = 1000;

/**
 * The CEL evaluator: a WorkerRunner whose jobs are a request's expressions. The job has CEL_BUDGET_MS
 * (or its request's time left if less); an expression that loops over huge comprehensions or allocates
 * without bound is stopped, answered `stopped`, and the evaluator restarts for the requests behind it.
 * Only gateways with `validation/cel` start it.
 */
export class CelRunner {
  private readonly runner: WorkerRunner<CelJob, CelVerdict>;

  constructor(logger: Logger, budgetMs = CEL_BUDGET_MS, maxQueue = CEL_QUEUE_MAX) {
    this.runner = new WorkerRunner(logger, {
      entry: new URL('./worker.js', import.meta.url),
      name: 'switchyard-cel',
      heapMb: HEAP_MB,
      budgetMs,
      maxQueue,
      overBudget: (ms) => `the CEL expressions ran over their ${ms}ms budget`,
      busy: (n) => `the CEL evaluator is busy (${n} requests wait)`,
      exited: (code) => `the CEL evaluator exited (${code})`,
    });
  }

  async run(
    sources: readonly string[],
    activation: Record<string, unknown>,
    scope?: JobScope,
  ): Promise<CelVerdict> {
    const o = await this.runner.run({ sources, activation }, scope);
    return o.ok ? o.value : { failed: 0, reason: o.reason, stopped: true };
  }

  close(): void {
    this.runner.close();
  }
}
