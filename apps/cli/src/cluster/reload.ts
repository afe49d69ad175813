import type { Worker } from 'node:cluster';
import type { GatewayFile } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import type { FromWorker, ToWorker } from './messages.js';

/** How long every worker has to build a file and confirm it. */
export const PREPARE_TIMEOUT_MS = 5000;

/**
 * Moves every worker of `--workers` to a file, or none: each builds it without putting it in force and
 * confirms (prepare); only when all confirmed within PREPARE_TIMEOUT_MS are they told to put it in force
 * (commit), else to drop it. A refusal, a silence or an exit during prepare is SWY_RELOAD_ABORTED naming
 * the worker. A worker that exits after the commit was sent is restarted on the new file (`startMessage`
 * gives the file in force), so the node never serves two files once the reload returned.
 */
export class ClusterReload {
  private nextId = 1;
  private readonly waiting = new Map<number, (worker: Worker, message: FromWorker) => void>();

  /** `workers`: the workers started now (the pool's). */
  constructor(private readonly workers: () => Worker[]) {}

  /** Feed the pool's worker messages here. */
  onMessage(worker: Worker, message: FromWorker): void {
    if (message.swy === 'prepared') this.waiting.get(message.id)?.(worker, message);
  }

  async apply(config: GatewayFile): Promise<void> {
    const id = this.nextId++;
    const workers = this.workers();
    const pending = new Map(workers.map((w) => [w.id, w]));
    let refusal: string | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const late = [...pending.keys()].join(', ');
        refusal ??= `worker ${late} did not confirm within ${PREPARE_TIMEOUT_MS} ms`;
        finish();
      }, PREPARE_TIMEOUT_MS);
      const onExit = (worker: Worker) => {
        if (!pending.has(worker.id)) return;
        refusal ??= `worker ${worker.id} exited while preparing`;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        for (const w of workers) w.off('exit', exitOf(w));
        resolve();
      };
      const exits = new Map(workers.map((w) => [w.id, () => onExit(w)]));
      const exitOf = (w: Worker) => exits.get(w.id) as () => void;
      this.waiting.set(id, (worker, message) => {
        if (message.swy !== 'prepared' || !pending.delete(worker.id)) return;
        if (message.error !== undefined) {
          refusal ??= `worker ${worker.id} refused it: ${message.error}`;
          return finish();
        }
        if (pending.size === 0) finish();
      });
      for (const w of workers) {
        w.once('exit', exitOf(w));
        w.send({ swy: 'prepare', id, config } satisfies ToWorker);
      }
      if (workers.length === 0) finish();
    });
    const commit = refusal === undefined;
    for (const w of workers) if (w.isConnected()) w.send({ swy: 'settle', id, commit } satisfies ToWorker);
    if (!commit) {
      throw new SwitchyardError(
        'SWY_RELOAD_ABORTED',
        `not every gateway worker could take the file (${refusal}); all keep serving the file in force`,
      );
    }
  }
}
