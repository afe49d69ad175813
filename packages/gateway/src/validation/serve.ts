import { parentPort } from 'node:worker_threads';
import type { Envelope, Started } from './runner.js';

/**
 * A WorkerRunner thread's side: answers each job with `handle`'s result under the job's id. With
 * `prepare` (a runner with `prepareMs`), each job is first prepared, untimed by its own budget, and
 * `started` tells the runner its budget runs. A job that throws takes the thread down, and the runner
 * fails that job alone.
 */
export function serve<J, V, P>(handle: (job: J, prepared: P) => V, prepare?: (job: J) => P): void {
  parentPort?.on('message', (m: Envelope<J>) => {
    const prepared = prepare?.(m.job) as P;
    if (prepare) parentPort?.postMessage({ started: m.id } satisfies Started);
    parentPort?.postMessage({ id: m.id, job: handle(m.job, prepared) } satisfies Envelope<V>);
  });
  // Jobs are timed from here on: loading the thread's modules is not a job's time.
  parentPort?.postMessage('ready');
}
