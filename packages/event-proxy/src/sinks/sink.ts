import type { Envelope } from '@switchyard/shared';

/** An event the sink refused for good (it will never be accepted as is): it goes to the dead-letter file. */
export interface Rejected {
  event: Envelope;
  reason: string;
}

/** What a confirmed send reports: every event not in `rejected` was confirmed by the target. */
export interface SendResult {
  rejected: Rejected[];
}

/** Called with the number of events a sink is about to try again inside one `send`. */
export type SinkRetryListener = (events: number) => void;

/**
 * One interface for every target. `send` resolves only once the target confirmed the batch (Kafka acks,
 * HTTP 2xx, AMQP publisher confirm, file fsync). A whole-batch failure rejects with a SwitchyardError whose
 * `retryable` flag says whether the pipeline should try again (with `details.retryAfterMs` when the target
 * asked for a delay), or dead-letter the batch.
 */
export interface Sink {
  readonly name: string;
  /** Connects; resolves when the sink can send. Failing here is retried by the pipeline. */
  start(): Promise<void>;
  send(batch: readonly Envelope[]): Promise<SendResult>;
  /** Whether the target looks reachable now (for /readyz). */
  ready(): boolean;
  close(): Promise<void>;
}
