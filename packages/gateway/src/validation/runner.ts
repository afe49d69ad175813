import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@switchyard/shared';

/** What a job's caller can be cancelled by: a request's scope (its deadline, its abort). */
export interface JobScope {
  /** Milliseconds the request has left; Infinity without a deadline. */
  remainingMs(): number;
  add(member: { abort(err: Error): void }): void;
}

/**
 * A job's outcome: the worker's answer, or why there is none (stopped, aborted, closing; `busy` when it
 * was refused because the queue was full).
 */
export type Outcome<V> = { ok: true; value: V } | { ok: false; reason: string; busy?: true };

/** How one runner's thread is started and how its failures read. */
export interface RunnerOptions {
  /** The worker's entry module, next to the module naming it (`new URL('./worker.js', import.meta.url)`). */
  entry: URL;
  /** The thread's name, and what the log says was stopped. */
  name: string;
  /** The thread's old-generation heap: a job that allocates without bound ends there, not in the gateway. */
  heapMb: number;
  /** The thread's stack (Node's default for workers is 4). */
  stackMb?: number;
  /** A job's time once it runs, unless it names its own; its request's time left caps it. */
  budgetMs: number;
  /** Jobs waiting at most: past it a job is refused at once instead of queueing without bound. */
  maxQueue: number;
  /**
   * Set when the thread prepares each job (`serve` with `prepare`, e.g. compiling a schema) before timing
   * it: the preparation's own limit. The job's budget then runs from the thread's `started`.
   */
  prepareMs?: number;
  /** The reason of a job stopped at its budget. */
  overBudget(ms: number): string;
  /** The reason of a job stopped while it was prepared (only with `prepareMs`). */
  overPrepare?(ms: number): string;
  /** The reason of a job refused because `maxQueue` jobs wait. */
  busy(waiting: number): string;
  /** The reason of a job whose thread died under it (out of heap, crashed). */
  exited(code: number): string;
}

/** A job as it crosses to the worker (`serve` answers with the same id). */
export interface Envelope<J> {
  id: number;
  job: J;
}

/** The worker prepared the job with this id and runs it now (only with `prepareMs`). */
export interface Started {
  started: number;
}

/** The built entry (under vitest the runner runs from src, where only the TypeScript file is). */
function built(entry: URL): URL {
  if (existsSync(fileURLToPath(entry))) return entry;
  const at = entry.href.lastIndexOf('/src/');
  return new URL(`${entry.href.slice(0, at)}/dist/${entry.href.slice(at + 5)}`);
}

interface Pending<J, V> {
  id: number;
  job: J;
  budgetMs: number;
  scope: JobScope | undefined;
  resolve: (o: Outcome<V>) => void;
}

/**
 * Runs jobs on one worker thread, one at a time in arrival order, so work whose cost a request controls
 * (a CEL expression, a body against a JSON Schema) never blocks the gateway's event loop. Only the head job
 * is sent to the thread: one whose request ends while it waits never runs there (its time would count
 * against the job after it) and waiting jobs are not copied. The job at the head has its budget (or its request's time left if less): past it, or when the thread runs out of heap,
 * the thread is terminated, that job fails with the reason, and a new thread takes the jobs that were
 * waiting. At most `maxQueue` jobs wait; a job whose request ends leaves the queue (stopping the thread
 * if it runs). The thread starts with the first job.
 */
export class WorkerRunner<J, V> {
  private worker: Worker | null = null;
  /** The thread loaded its module: the head job's budget runs from then. */
  private ready = false;
  private readonly queue: Pending<J, V>[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** The head job is past its preparation: its budget runs. */
  private started = false;
  private nextId = 1;
  private readonly entry: URL;

  constructor(
    private readonly logger: Logger,
    private readonly o: RunnerOptions,
  ) {
    this.entry = built(o.entry);
  }

  run(job: J, scope?: JobScope, budgetMs = this.o.budgetMs): Promise<Outcome<V>> {
    return new Promise((resolve) => {
      if (this.queue.length >= this.o.maxQueue) {
        resolve({ ok: false, reason: this.o.busy(this.queue.length), busy: true });
        return;
      }
      const pending: Pending<J, V> = { id: this.nextId++, job, budgetMs, scope, resolve };
      this.queue.push(pending);
      if (this.queue.length === 1) this.next();
      scope?.add({ abort: (err) => this.cancel(pending, err.message) });
    });
  }

  /** A job whose request ended: it leaves the queue; if it is running, the thread is stopped. */
  private cancel(job: Pending<J, V>, reason: string): void {
    const at = this.queue.indexOf(job);
    if (at < 0) return;
    if (at === 0 && this.worker) {
      this.lost(this.worker, reason);
      return;
    }
    this.queue.splice(at, 1);
    job.resolve({ ok: false, reason });
  }

  close(): void {
    this.disarm();
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, reason: 'the gateway is closing' });
  }

  /** Sends the head job to the thread (starting one if needed) and starts its clock. */
  private next(): void {
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      try {
        this.spawn().postMessage({ id: head.id, job: head.job } satisfies Envelope<J>);
        this.arm();
        return;
      } catch (err) {
        // A job that cannot be cloned (never from a request; defensive): it alone fails.
        this.queue.shift();
        head.resolve({ ok: false, reason: (err as Error).message });
      }
    }
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.entry, {
      name: this.o.name,
      resourceLimits: {
        maxOldGenerationSizeMb: this.o.heapMb,
        maxYoungGenerationSizeMb: 16,
        ...(this.o.stackMb !== undefined && { stackSizeMb: this.o.stackMb }),
      },
    });
    w.unref();
    w.on('message', (m: Envelope<V> | Started | 'ready') => {
      // A stopped thread's last messages may still arrive: they must not start or settle the new one's jobs.
      if (this.worker !== w) return;
      if (m === 'ready') {
        this.ready = true;
        if (this.queue.length > 0) this.arm();
      } else if ('started' in m) {
        if (this.queue[0]?.id !== m.started) return;
        this.disarm();
        this.started = true;
        this.arm();
      } else this.settled(m);
    });
    w.on('error', (err) => this.lost(w, err.message));
    w.on('exit', (code) => this.lost(w, this.o.exited(code)));
    this.worker = w;
    this.ready = false;
    return w;
  }

  private settled(m: Envelope<V>): void {
    const head = this.queue[0];
    if (!head || head.id !== m.id) return;
    this.queue.shift();
    this.disarm();
    head.resolve({ ok: true, value: m.job });
    this.next();
  }

  /** The head job broke the thread (out of heap) or ran out of time: it fails, the others go on. */
  private lost(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.disarm();
    void w.terminate();
    const head = this.queue.shift();
    if (head) {
      this.logger.warn({ reason }, `a ${this.o.name} job was stopped`);
      head.resolve({ ok: false, reason });
    }
    this.next();
  }

  private arm(): void {
    const w = this.worker;
    const head = this.queue[0];
    if (!w || !head || !this.ready || this.timer) return;
    const left = head.scope ? Math.max(0, Math.floor(head.scope.remainingMs())) : Number.POSITIVE_INFINITY;
    const preparing = this.o.prepareMs !== undefined && !this.started;
    const budget = Math.min(preparing ? (this.o.prepareMs as number) : head.budgetMs, left);
    const reason = preparing ? (this.o.overPrepare ?? this.o.overBudget)(budget) : this.o.overBudget(budget);
    this.timer = setTimeout(() => this.lost(w, reason), budget);
    this.timer.unref();
  }

  /** Stops the head job's clock: it settled, or it is past its preparation and gets its own budget. */
  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.started = false;
  }
}
