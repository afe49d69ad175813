import cluster, { type Worker } from 'node:cluster';
import type { HealthStatus, Logger } from '@switchyard/shared';
import { type FromWorker, isSwyMessage, type ToWorker } from './messages.js';

export interface PoolOptions {
  size: number;
  logger: Logger;
  /** The message that starts a worker: the file in force now, and whether events are wanted. */
  startMessage: () => ToWorker;
  /** Every `swy` message of a worker, besides those the pool itself reads. */
  onMessage: (worker: Worker, message: FromWorker) => void;
  /** Calls `start` when `worker`, which said hello, may be sent its start message [at once]. */
  whenStartable?: (worker: Worker, start: () => void) => void;
  /** Every worker's exit, before it is replaced; `started`: it had been sent its start message. */
  onExit?: (worker: Worker, started: boolean) => void;
  /** How long a worker may take to finish its requests when stopping [30 s]. */
  stopTimeoutMs?: number;
}

/** Restart delays: 100 ms doubling to 10 s while workers keep failing soon after they started. */
const BACKOFF = { initialMs: 100, maxMs: 10_000 };
/** A worker that served this long before it exited was healthy: the next restart is quick again. */
const STEADY_MS = 10_000;

interface Member {
  worker: Worker;
  startedAt: number;
  /** It said hello: it hears messages now (one sent before is lost) and was sent its start. */
  greeted: boolean;
  listening: boolean;
  inFlight: number;
  status: HealthStatus;
}

/**
 * The workers of `--workers`: forks them, tells which are serving, restarts one that exits with a
 * growing delay while they keep failing (each exit logged), and stops them all gracefully.
 */
export class WorkerPool {
  private readonly members = new Map<number, Member>();
  private stopping = false;
  private failures = 0;
  private restartCount = 0;
  private boundPort: number | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: PoolOptions) {
    cluster.on('message', (worker, message: unknown) => {
      const m = this.members.get(worker.id);
      if (!m || !isSwyMessage(message)) return;
      const msg = message as FromWorker;
      if (msg.swy === 'hello') {
        const start = () => {
          if (this.members.get(worker.id) !== m || !worker.isConnected()) return;
          m.greeted = true;
          worker.send(this.stopping ? ({ swy: 'stop' } satisfies ToWorker) : this.o.startMessage());
        };
        if (this.stopping || !this.o.whenStartable) start();
        else this.o.whenStartable(worker, start);
      } else if (msg.swy === 'listening') {
        m.listening = true;
        this.boundPort = msg.port;
      } else if (msg.swy === 'status') {
        m.inFlight = msg.inFlight;
        m.status = msg.status;
      }
      this.o.onMessage(worker, msg);
    });
  }

  /** Forks every worker; resolves once all serve, rejects when one exits before it served. */
  start(): Promise<void> {
    const started: Promise<void>[] = [];
    for (let i = 0; i < this.o.size; i++) started.push(this.fork(true));
    return Promise.all(started).then(() => undefined);
  }

  /** Workers serving now. */
  get up(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.listening) n++;
    return n;
  }

  /** The port the workers serve (the real one when the file asks for port 0), once one serves. */
  get port(): number | undefined {
    return this.boundPort;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get inFlight(): number {
    let n = 0;
    for (const m of this.members.values()) n += m.inFlight;
    return n;
  }

  /** Down when no worker serves; degraded when some are missing or one reports so; else ok. */
  status(): HealthStatus {
    const up = this.up;
    if (up === 0) return 'down';
    let worst: HealthStatus = up < this.o.size ? 'degraded' : 'ok';
    for (const m of this.members.values()) {
      if (m.status === 'down' && up === 1) return 'down';
      if (m.status !== 'ok') worst = 'degraded';
    }
    return worst;
  }

  /** The health figures `node_health` and `/__health` carry. */
  counts(): { configured: number; up: number; restarts: number } {
    return { configured: this.o.size, up: this.up, restarts: this.restartCount };
  }

  /** Workers that were sent their start message (serving, or about to). */
  workers(): Worker[] {
    return [...this.members.values()].filter((m) => m.greeted && m.worker.isConnected()).map((m) => m.worker);
  }

  broadcast(message: ToWorker): void {
    for (const w of this.workers()) w.send(message);
  }

  /** Stops restarting, asks each worker to finish its requests and exit; kills what outlasts the timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    const exits = [...this.members.values()].map(({ worker, greeted }) => {
      const exited = new Promise<void>((resolve) => {
        if (worker.isDead()) resolve();
        else worker.once('exit', () => resolve());
      });
      // One that has not said hello yet is told when it does (one held back by a reload, once it settled).
      if (greeted && worker.isConnected()) worker.send({ swy: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => {
        this.o.logger.error({ worker: worker.id }, 'gateway worker did not stop in time: killed');
        worker.process.kill('SIGKILL');
      }, this.o.stopTimeoutMs ?? 30_000);
      return exited.finally(() => clearTimeout(timer));
    });
    await Promise.all(exits);
  }

  private fork(initial: boolean): Promise<void> {
    const worker = cluster.fork();
    const member: Member = {
      worker,
      startedAt: Date.now(),
      greeted: false,
      listening: false,
      inFlight: 0,
      status: 'ok',
    };
    this.members.set(worker.id, member);
    return new Promise((resolve, reject) => {
      const onListening = (message: unknown) => {
        if (isSwyMessage(message) && message.swy === 'listening') {
          worker.off('message', onListening);
          resolve();
        }
      };
      worker.on('message', onListening);
      worker.once('exit', (code, signal) => {
        worker.off('message', onListening);
        this.members.delete(worker.id);
        this.o.onExit?.(worker, member.greeted);
        if (this.stopping) return resolve();
        if (!member.listening && initial) {
          reject(
            new Error(`gateway worker ${worker.id} exited before it served (code ${code}, signal ${signal})`),
          );
          return;
        }
        this.failures = Date.now() - member.startedAt >= STEADY_MS ? 0 : this.failures + 1;
        const delay = Math.min(BACKOFF.initialMs * 2 ** Math.max(0, this.failures - 1), BACKOFF.maxMs);
        this.o.logger.error(
          { worker: worker.id, pid: worker.process.pid, code, signal, restart_in_ms: delay },
          'gateway worker exited; starting another',
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.stopping) return;
          this.restartCount++;
          this.fork(false).catch(() => undefined);
        }, delay);
        this.timers.add(timer);
      });
    });
  }
}
