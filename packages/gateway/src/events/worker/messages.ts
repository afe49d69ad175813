import type { EventsNamespace } from '@switchyard/config';
import type { Envelope, Logger } from '@switchyard/shared';
import type { EventHub, ForwardedEvent } from '../hub.js';
import type { WorkerPriority } from './priority.js';

/** What the event worker is started with. */
export interface WorkerInit {
  sab: SharedArrayBuffer;
  settings: EventsNamespace;
  nodeId: string;
  idTag: number;
  firstSeq: number;
  /** Times the worker was started again after a failure (0 for the first). */
  restarts: number;
  logLevel: string;
  /** How much lower than the request thread the worker's scheduling priority is (Linux nice steps). */
  nice: number;
  /** Whether the worker runs under SCHED_IDLE (Linux). */
  idle: boolean;
  consumer: { module: string; data: unknown } | undefined;
}

export type ToWorker =
  | { type: 'forward'; from: number }
  | { type: 'stop-forwarding' }
  | { type: 'configure'; settings: EventsNamespace }
  // `id` is echoed in the answer, so each request is answered by its own reply.
  | { type: 'drain'; id: number; timeoutMs: number }
  | { type: 'flush'; id: number; timeoutMs: number }
  | { type: 'close'; id: number };

export interface SerializedError {
  code: string | undefined;
  message: string;
  details: Record<string, unknown> | undefined;
}

export type FromWorker =
  | { type: 'ready'; info: unknown; priority: WorkerPriority | undefined }
  | { type: 'failed'; error: SerializedError }
  | { type: 'events'; events: ForwardedEvent[] }
  | { type: 'log'; line: string }
  | { type: 'stdout'; chunk: string }
  | { type: 'drained'; id: number }
  | { type: 'flushed'; id: number; error: SerializedError | undefined }
  | { type: 'closed'; id: number };

/** What a consumer module running inside the event worker is given (the event proxy in `run`). */
export interface EventWorkerContext {
  /** The worker's hub: read its ring (`watch`, `entry`) or `subscribe` to it. */
  hub: EventHub;
  /** The `data` the gateway was given for the consumer (structured-cloned). */
  data: unknown;
  logger: Logger;
  /** Writes reach the stream the gateway was given as the consumer's `stdout`. */
  stdout: NodeJS.WritableStream;
  /** 0 for the first worker; more after a failure (a consumer may take over what its predecessor held). */
  restarts: number;
}

/** A consumer running inside the event worker. */
export interface EventWorkerConsumer {
  /**
   * The hub sequence number below which every event was taken for good (e.g. spooled): the worker
   * releases the hand-off's records only up to there, so a worker that dies loses none of the rest,
   * and builds no further ahead than its hub holds (2,048 events). Without it, records are released once
   * their events are built, and a consumer reading the hub at its own pace must keep within 2,048 events.
   */
  taken?(): number;
  /** Hands on what the hub holds, within `timeoutMs` (called on shutdown, before `close`). */
  flush(timeoutMs: number): Promise<void>;
  /** Resolves once what it took is delivered (the gateway's `eventWorker.flush`); rejects after `timeoutMs`. */
  settle?(timeoutMs: number): Promise<void>;
  /** What the gateway may tell about the consumer (structured-cloned once it started), e.g. its address. */
  info?(): unknown;
  close(): Promise<void>;
}

/** The module a consumer lives in exports this function. */
export type AttachEventConsumer = (ctx: EventWorkerContext) => Promise<EventWorkerConsumer>;

export type { Envelope };
