import type { Envelope } from '@switchyard/shared';

export interface AppendResult {
  /** Events now held by the queue (durable when the queue is a disk spool). */
  accepted: number;
  /** Events dropped by the full policy (drop_newest: these; drop_oldest: older ones evicted to make room). */
  dropped: number;
}

/** A batch handed out by `read`; `ack` it once the sink confirmed it. */
export interface QueuedBatch {
  events: Envelope[];
  /** Opaque position used by `ack` (e.g. segment and offset). */
  token: unknown;
}

/**
 * Where accepted events wait for their sink: in memory, or the disk spool. One delivery loop reads from it.
 * `append` rejects with SWY_QUEUE_FULL (retryable, status 503) when full under the `block` policy.
 */
export interface EventQueue {
  append(events: readonly Envelope[]): Promise<AppendResult>;
  /** Up to `max` events not yet handed out, waiting up to `lingerMs` for the batch to fill; `null` once closed. */
  read(max: number, lingerMs: number): Promise<QueuedBatch | null>;
  /** Releases a batch the sink confirmed (or dead-lettered). Batches are acked in the order they were read. */
  ack(batch: QueuedBatch): Promise<void>;
  depth(): { events: number; bytes: number };
  /** False while appends fail for a reason other than a full queue (a spool's disk failing): for /readyz. */
  writable?(): boolean;
  close(): Promise<void>;
}
