import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventsNamespace } from '@switchyard/config';
import {
  type ErrorCode,
  EVENT_TYPES,
  type EventType,
  errorCodes,
  type Logger,
  type NodeHealthData,
  type PluginUpdatedData,
  SwitchyardError,
} from '@switchyard/shared';
import { createHandoffBuffer } from '../handoff/layout.js';
import { HandoffWriter } from '../handoff/writer.js';
import type { EventFeed, EventHub } from '../hub.js';
import { EVENT_DEFAULTS } from '../policy.js';
import { relayLogLine } from './log-relay.js';
import type { FromWorker, SerializedError, ToWorker, WorkerInit } from './messages.js';
import type { WorkerPriority } from './priority.js';
import { HandoffRecorder } from './recorder.js';

export interface EventWorkerOptions {
  /**
   * A module run inside the worker that consumes its events (the event proxy in `switchyard run`): its URL
   * or path, the `data` it is given, and the types it keeps (absent or empty: all).
   */
  consumer?: {
    module: string;
    data?: unknown;
    types?: readonly string[];
    /** Where the consumer's `stdout` writes go [process.stdout]. */
    stdout?: NodeJS.WritableStream;
  };
  /** Pause before starting a failed worker again, doubling per failure in a row up to 5 s [100]. */
  restartDelayMs?: number;
}

export type WorkerState = 'starting' | 'running' | 'restarting' | 'stopped';

/** What `/__health` and `node_health` tell about the event worker. */
export interface WorkerHealth {
  state: WorkerState;
  restarts: number;
  last_error?: string;
  /** Records the request thread could not hand off (the hand-off was full), since the start. */
  dropped: number;
  /** The scheduling the running worker got (Linux), as the kernel reports it. */
  priority?: WorkerPriority;
}

const MAX_RESTART_DELAY_MS = 5000;

/** The worker's entry: the built file next to this one (under vitest this module runs from src). */
function entryUrl(): URL {
  const here = new URL('./entry.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/src/events/worker/', '/dist/events/worker/'));
}

const moduleUrl = (m: string) => (/^[a-z]+:/i.test(m) ? m : pathToFileURL(m).href);

function errorOf(e: SerializedError): Error {
  if (e.code && e.code in errorCodes)
    return new SwitchyardError(e.code as ErrorCode, e.message, e.details ? { details: e.details } : {});
  return new Error(e.message);
}

/**
 * Owns the event worker: the hand-off it reads, its start (a consumer that cannot start fails the
 * gateway's start), its restart after a failure (records not yet taken stay in the hand-off for the next
 * worker, which continues the event numbering), the forwarding of events back to the gateway's hub while
 * that hub has consumers, and its shutdown (drain, then close). It is the hub's EventFeed.
 */
export class EventWorkerHost implements EventFeed {
  readonly writer: HandoffWriter;
  private rec: HandoffRecorder | undefined;
  private readonly sab: SharedArrayBuffer;
  private hub!: EventHub;
  private worker: Worker | undefined;
  private state: WorkerState = 'stopped';
  private restarts = 0;
  private failuresInRow = 0;
  private lastError: string | undefined;
  private forwarding = false;
  private closing = false;
  private settings: EventsNamespace;
  private restartTimer: NodeJS.Timeout | undefined;
  // Requests waiting for their answer, by id; an exit or a timeout answers `undefined`.
  private waiters = new Map<number, (m: FromWorker | undefined) => void>();
  private nextRequestId = 0;
  private info: unknown;
  private priority: WorkerPriority | undefined;
  private firstSeq: number | undefined;
  private readonly stdout: NodeJS.WritableStream;

  constructor(
    private readonly options: EventWorkerOptions,
    settings: EventsNamespace,
    private readonly logger: Logger,
    /** Called on every state change (the gateway checks its health). */
    private readonly onState: () => void,
  ) {
    this.settings = settings;
    this.sab = createHandoffBuffer(settings.handoff_bytes ?? EVENT_DEFAULTS.handoffBytes);
    this.writer = new HandoffWriter(this.sab);
    this.stdout = options.consumer?.stdout ?? process.stdout;
  }

  /** The hub the worker's events come back to (set once, before start). */
  bind(hub: EventHub): void {
    this.hub = hub;
    const consumer = this.options.consumer;
    const types = consumer?.types && consumer.types.length > 0 ? consumer.types : EVENT_TYPES;
    this.rec = new HandoffRecorder(this.writer, hub, consumer ? new Set(types as EventType[]) : null);
  }

  /** What the request path writes facts into. */
  get recorder(): HandoffRecorder {
    return this.rec as HandoffRecorder;
  }

  get consumes(): boolean {
    return this.options.consumer !== undefined;
  }

  get workerHealth(): WorkerHealth {
    return {
      state: this.state,
      restarts: this.restarts,
      ...(this.lastError !== undefined && { last_error: this.lastError }),
      dropped: this.writer.dropped,
      ...(this.priority !== undefined && { priority: this.priority }),
    };
  }

  /** Whether the worker runs (a failed one is being restarted). */
  get healthy(): boolean {
    return this.state === 'running' || this.state === 'stopped';
  }

  /** Starts the worker; rejects with the consumer's error when it cannot start. */
  async start(): Promise<void> {
    if (this.worker) return;
    await this.spawn();
  }

  forward(): number {
    this.forwarding = true;
    const from = this.writer.workerNextSeq;
    this.send({ type: 'forward', from });
    return from;
  }

  stopForwarding(): void {
    this.forwarding = false;
    this.send({ type: 'stop-forwarding' });
  }

  configure(settings: EventsNamespace): void {
    this.settings = settings;
    this.send({ type: 'configure', settings });
  }

  pluginUpdated(data: PluginUpdatedData): void {
    this.recorder.pluginUpdated(data);
  }

  health(data: NodeHealthData): void {
    this.recorder.health({ ...data, event_worker: this.workerHealth });
  }

  /** What the worker's consumer told about itself once it started (e.g. the proxy's address). */
  get consumerInfo(): unknown {
    return this.info;
  }

  /**
   * Builds everything handed off so far and resolves once the consumer delivered it; rejects with the
   * consumer's error (e.g. SWY_SINK_TIMEOUT after `timeoutMs`).
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    if (this.state !== 'running')
      throw new SwitchyardError('SWY_SINK_UNAVAILABLE', 'the event worker is not running');
    const answer = await this.request((id) => ({ type: 'flush', id, timeoutMs }), timeoutMs + 1000);
    // No answer: the worker exited or stopped answering; nothing was confirmed, so say so.
    if (answer === undefined)
      throw new SwitchyardError(
        'SWY_SINK_UNAVAILABLE',
        'the event worker stopped before it confirmed the flush',
      );
    if (answer.type === 'flushed' && answer.error) throw errorOf(answer.error);
  }

  /** Builds and hands on everything handed off so far (shutdown, after the last request). */
  async drain(timeoutMs = 5000): Promise<void> {
    if (this.state !== 'running') return;
    const answer = await this.request((id) => ({ type: 'drain', id, timeoutMs }), timeoutMs + 1000);
    if (answer === undefined)
      this.logger.warn({ component: 'events' }, 'the event worker stopped before it confirmed the drain');
  }

  /** Closes the consumer (the proxy delivers what it can within its deadline), then the worker. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    if (this.state === 'running') await this.request((id) => ({ type: 'close', id }), 30_000);
    await worker.terminate();
    this.worker = undefined;
    this.state = 'stopped';
  }

  private send(message: ToWorker): void {
    if (this.state === 'running') this.worker?.postMessage(message);
  }

  private request(message: (id: number) => ToWorker, timeoutMs: number): Promise<FromWorker | undefined> {
    const id = ++this.nextRequestId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (m: FromWorker | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(id);
        resolve(m);
      };
      this.waiters.set(id, done);
      this.worker?.postMessage(message(id));
    });
  }

  private spawn(): Promise<void> {
    const consumer = this.options.consumer;
    this.firstSeq ??= Math.max(this.writer.workerNextSeq, this.hub.nextSeq);
    const init: WorkerInit = {
      sab: this.sab,
      settings: this.settings,
      nodeId: this.hub.nodeId,
      idTag: this.hub.idTag,
      // The first worker's; a worker started again resumes from its predecessor's last commit point.
      firstSeq: this.firstSeq,
      restarts: this.restarts,
      logLevel: this.logger.level,
      nice: this.settings.worker_nice ?? EVENT_DEFAULTS.workerNice,
      idle: this.settings.worker_idle ?? EVENT_DEFAULTS.workerIdle,
      consumer: consumer ? { module: moduleUrl(consumer.module), data: consumer.data } : undefined,
    };
    this.state = this.restarts === 0 ? 'starting' : 'restarting';
    const worker = new Worker(entryUrl(), { workerData: init, name: 'switchyard-events' });
    this.worker = worker;
    let ready = false;
    let failure: string | undefined;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            this.info = m.info;
            this.priority = m.priority;
            this.state = 'running';
            this.failuresInRow = 0;
            if (this.forwarding) worker.postMessage({ type: 'forward', from: this.hub.nextSeq });
            // Back after a failure: the node's status changes (the first start is no transition).
            if (this.restarts > 0) this.onState();
            resolve();
            break;
          case 'failed':
            if (!ready) reject(errorOf(m.error));
            else this.lastError = m.error.message;
            break;
          case 'events':
            this.hub.ingest(m.events);
            break;
          case 'log':
            relayLogLine(this.logger, m.line);
            break;
          case 'stdout':
            this.stdout.write(m.chunk);
            break;
          default:
            this.waiters.get(m.id)?.(m);
        }
      });
      worker.on('error', (err) => {
        failure = err.message;
        if (!ready) reject(err);
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        for (const done of [...this.waiters.values()]) done(undefined);
        if (this.closing || !ready) {
          this.state = 'stopped';
          if (!ready) reject(new Error(failure ?? `the event worker exited with code ${code}`));
          return;
        }
        this.lastError = failure ?? `exited with code ${code}`;
        this.restart();
      });
    });
  }

  /** A worker that ran and failed: tell, then start another after a pause that grows per failure. */
  private restart(): void {
    this.restarts++;
    this.failuresInRow++;
    this.state = 'restarting';
    this.logger.error(
      { component: 'events', restarts: this.restarts, err_message: this.lastError },
      'the event worker failed; starting it again (events wait in the hand-off)',
    );
    this.onState();
    const base = this.options.restartDelayMs ?? 100;
    const delay = Math.min(MAX_RESTART_DELAY_MS, base * 2 ** (this.failuresInRow - 1));
    this.restartTimer = setTimeout(() => {
      this.spawn().catch((err: unknown) => {
        this.lastError = (err as Error).message;
        if (!this.closing) this.restart();
      });
    }, delay);
    this.restartTimer.unref();
  }
}
