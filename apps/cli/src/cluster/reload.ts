import type { GatewayFile } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import type { FromWorker, ToWorker } from './messages.js';

/** What a reload needs of a worker (node:cluster's Worker has it). */
export interface ReloadWorker {
  readonly id: number;
  send(message: ToWorker): unknown;
  isConnected(): boolean;
  once(event: 'exit', listener: () => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
}

/** Starts a timer calling `fire` after `ms`; returns what cancels it. */
export type StartTimer = (fire: () => void, ms: number) => () => void;

export interface ClusterReloadOptions {
  /** The workers that were sent their start (the pool's). */
  workers: () => ReloadWorker[];
  /** The file in force when the workers started. */
  config: GatewayFile;
  /** How long the workers have, together, to build a file and confirm it [PREPARE_TIMEOUT_MS]. */
  timeoutMs?: number;
  /** The clock of that timeout [setTimeout]. */
  timer?: StartTimer;
}

/** Default for ClusterReloadOptions.timeoutMs: a worker that has not answered by then is taken as refusing. */
export const PREPARE_TIMEOUT_MS = 5000;

const realTimer: StartTimer = (fire, ms) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

/**
 * Moves every worker of `--workers` to a file, or none: each builds it without putting it in force and
 * confirms (prepare); the moment the last one confirmed they are told to put it in force (commit), and the
 * moment one refuses, exits or outlasts the timeout they are all told to drop it (SWY_RELOAD_ABORTED naming
 * the worker). A worker that starts while a reload is being decided is held back (`whenSettled`) until the
 * outcome is known, so it starts on the file that ended up in force, never on the one being replaced.
 */
export class ClusterReload {
  private nextId = 1;
  private inForce: GatewayFile;
  private readonly waiting = new Map<number, (worker: ReloadWorker, message: FromWorker) => void>();
  private busy = false;
  private held: (() => void)[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ClusterReloadOptions) {
    this.inForce = o.config;
  }

  /** The file the workers serve (the last one committed). */
  get config(): GatewayFile {
    return this.inForce;
  }

  /** Whether a reload is being decided now. */
  get deciding(): boolean {
    return this.busy;
  }

  /** Runs `then` now when no reload is being decided, else right after the one in progress settled. */
  whenSettled(then: () => void): void {
    if (this.busy) this.held.push(then);
    else then();
  }

  /** Feed the pool's worker messages here. */
  onMessage(worker: ReloadWorker, message: FromWorker): void {
    if (message.swy === 'prepared') this.waiting.get(message.id)?.(worker, message);
  }

  /** Resolves once every worker serves `config`; rejects (SWY_RELOAD_ABORTED) when they all kept theirs. */
  apply(config: GatewayFile): Promise<void> {
    // One at a time: a second file waits for the first to be decided.
    const run = this.tail.then(() => this.decide(config));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async decide(config: GatewayFile): Promise<void> {
    this.busy = true;
    let refusal: string | undefined;
    const id = this.nextId++;
    const workers = this.o.workers();
    try {
      refusal = await this.prepare(id, workers, config);
      const commit = refusal === undefined;
      if (commit) this.inForce = config;
      for (const w of workers) if (w.isConnected()) w.send({ swy: 'settle', id, commit });
    } finally {
      this.busy = false;
      // Workers that came up meanwhile start now, on the file in force (the new one only if committed).
      for (const start of this.held.splice(0)) start();
    }
    if (refusal !== undefined) {
      throw new SwitchyardError(
        'SWY_RELOAD_ABORTED',
        `not every gateway worker could take the file (${refusal}); all keep serving the file in force`,
      );
    }
  }

  /** Asks every worker to build `config`; resolves to why one could not, or undefined when all did. */
  private prepare(id: number, workers: ReloadWorker[], config: GatewayFile): Promise<string | undefined> {
    const pending = new Map(workers.map((w) => [w.id, w]));
    const timeoutMs = this.o.timeoutMs ?? PREPARE_TIMEOUT_MS;
    return new Promise((resolve) => {
      const exits = new Map(
        workers.map((w) => [w.id, () => finish(`worker ${w.id} exited while preparing`)] as const),
      );
      const cancel = (this.o.timer ?? realTimer)(
        () => finish(`worker ${[...pending.keys()].join(', ')} did not confirm within ${timeoutMs} ms`),
        timeoutMs,
      );
      let done = false;
      const finish = (refusal?: string) => {
        if (done) return;
        done = true;
        cancel();
        this.waiting.delete(id);
        for (const w of workers) w.off('exit', exits.get(w.id) as () => void);
        resolve(refusal);
      };
      this.waiting.set(id, (worker, message) => {
        if (message.swy !== 'prepared' || !pending.delete(worker.id)) return;
        if (message.error !== undefined) finish(`worker ${worker.id} refused it: ${message.error}`);
        else if (pending.size === 0) finish();
      });
      for (const w of workers) {
        w.once('exit', exits.get(w.id) as () => void);
        w.send({ swy: 'prepare', id, config });
      }
      if (workers.length === 0) finish();
    });
  }
}
