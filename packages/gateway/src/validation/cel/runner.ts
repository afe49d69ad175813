import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@switchyard/shared';
import type { CelVerdict } from './environment.js';

/** How long one request's expressions may run before the evaluator is stopped and the request refused. */
export const CEL_BUDGET_MS = 200;
/** The evaluator's heap: an expression that allocates without bound ends there, not in the gateway. */
const HEAP_MB = 64;
/** Jobs waiting at most: past it a request is refused at once instead of queueing without bound. */
export const CEL_QUEUE_MAX = 1000;

/** What the evaluator's caller can be cancelled by: a request's scope (its deadline, its abort). */
export interface CelScope {
  /** Milliseconds the request has left; Infinity without a deadline. */
  remainingMs(): number;
  add(member: { abort(err: Error): void }): void;
}

/** The worker's entry: the built file next to this one (under vitest this module runs from src). */
function entryUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/src/validation/cel/', '/dist/validation/cel/'));
}

interface Pending {
  id: number;
  sources: readonly string[];
  activation: Record<string, unknown>;
  /** This job's time once it runs: the runner's budget, or less when its request has less left. */
  scope: CelScope | undefined;
  resolve: (v: CelVerdict) => void;
}

/**
 * Runs CEL expressions on one worker thread, a job at a time in arrival order. The job at the head has
 * the budget (CEL_BUDGET_MS, or its request's time left if less): past it (an expression that loops over huge comprehensions) or out of heap, the worker is
 * terminated, that job fails with its reason, and a new worker takes the jobs that were waiting. At most
 * `maxQueue` jobs wait; a job whose request is aborted leaves the queue (stopping the worker if it runs).
 * Only gateways with `validation/cel` start it.
 */
export class CelRunner {
  private worker: Worker | null = null;
  /** The worker loaded its evaluator: the head job's budget runs from then. */
  private ready = false;
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;

  constructor(
    private readonly logger: Logger,
    private readonly budgetMs = CEL_BUDGET_MS,
    private readonly maxQueue = CEL_QUEUE_MAX,
  ) {}

  run(
    sources: readonly string[],
    activation: Record<string, unknown>,
    scope?: CelScope,
  ): Promise<CelVerdict> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      if (this.queue.length >= this.maxQueue) {
        const reason = `the CEL evaluator is busy (${this.queue.length} requests wait)`;
        resolve({ id, failed: 0, reason, stopped: true });
        return;
      }
      const job: Pending = { id, sources, activation, scope, resolve };
      this.queue.push(job);
      this.post(job);
      if (this.queue.length === 1) this.arm();
      scope?.add({ abort: (err) => this.cancel(job, err.message) });
    });
  }

  /** A job whose request ended: it leaves the queue; if it is running, the worker is stopped. */
  private cancel(job: Pending, reason: string): void {
    const at = this.queue.indexOf(job);
    if (at < 0) return;
    if (at === 0 && this.worker) {
      this.lost(this.worker, reason);
      return;
    }
    this.queue.splice(at, 1);
    job.resolve({ id: job.id, failed: 0, reason, stopped: true });
  }

  close(): void {
    this.disarm();
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    for (const job of this.queue.splice(0))
      job.resolve({ id: job.id, failed: 0, reason: 'the gateway is closing', stopped: true });
  }

  private post(job: Pending): void {
    try {
      this.spawn().postMessage({ id: job.id, sources: job.sources, activation: job.activation });
    } catch (err) {
      // Variables that cannot be cloned (never from a request; defensive): this job alone fails.
      this.queue.splice(this.queue.indexOf(job), 1);
      job.resolve({ id: job.id, failed: 0, reason: (err as Error).message });
    }
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(entryUrl(), {
      name: 'switchyard-cel',
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 16 },
    });
    w.unref();
    w.on('message', (v: CelVerdict | 'ready') => {
      if (v !== 'ready') return this.settled(v);
      this.ready = true;
      if (this.queue.length > 0) this.arm();
    });
    w.on('error', (err) => this.lost(w, err.message));
    w.on('exit', (code) => this.lost(w, `the CEL evaluator exited (${code})`));
    this.worker = w;
    this.ready = false;
    return w;
  }

  private settled(v: CelVerdict): void {
    const head = this.queue[0];
    if (!head || head.id !== v.id) return;
    this.queue.shift();
    this.disarm();
    head.resolve(v);
    if (this.queue.length > 0) this.arm();
  }

  /** The head job broke the evaluator (out of heap) or ran out of time: it fails, the others go on. */
  private lost(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.disarm();
    void w.terminate();
    const head = this.queue.shift();
    if (head) {
      this.logger.warn({ reason }, 'a CEL evaluation was stopped');
      head.resolve({ id: head.id, failed: 0, reason, stopped: true });
    }
    for (const job of [...this.queue]) this.post(job);
    if (this.queue.length > 0) this.arm();
  }

  private arm(): void {
    const w = this.worker;
    const head = this.queue[0];
    if (!w || !head || !this.ready || this.timer) return;
    const left = head.scope ? Math.max(0, Math.floor(head.scope.remainingMs())) : Number.POSITIVE_INFINITY;
    const budget = Math.min(this.budgetMs, left);
    this.timer = setTimeout(
      () => this.lost(w, `the CEL expressions ran over their ${budget}ms budget`),
      budget,
    );
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
