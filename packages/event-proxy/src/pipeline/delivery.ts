import { type Envelope, isSwitchyardError, type Logger, SwitchyardError } from '@switchyard/shared';
import type { ProxyMetrics, SendOutcome } from '../admin/metrics.js';
import type { Sink } from '../sinks/sink.js';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
import type { DeadLetter, DeadLetterFile } from './dead-letter.js';
import type { EventQueue, QueuedBatch } from './queue.js';

export interface DeliveryOptions {
  queue: EventQueue;
  sink: Sink;
  deadLetters: DeadLetterFile;
  metrics: ProxyMetrics;
  logger: Logger;
  batch: { maxEvents: number; lingerMs: number };
  retry: BackoffOptions;
  /** Whether `sink.start()` already succeeded; otherwise the loop starts it, retrying with backoff. */
  sinkStarted: boolean;
  /** Called after each ack with the events released (confirmed or dead-lettered). */
  onSettled(events: readonly Envelope[]): void;
}

// Anything a sink throws that is not a SwitchyardError is taken as retryable: a surprise must delay
// events, never lose them.
function asSinkError(err: unknown): SwitchyardError {
  if (isSwitchyardError(err)) return err;
  return new SwitchyardError('SWY_SINK_UNAVAILABLE', err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}

/**
 * The one delivery loop: read a batch (size, linger) → sink.send → ack. A retryable failure keeps the
 * batch and tries again after a jittered exponential backoff (honouring the target's Retry-After), for
 * as long as it takes: an outage only delays. A permanent failure, or events the sink rejects one by one,
 * go to the dead-letter file, then are acked. Batches are acked in order.
 */
export class DeliveryLoop {
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly o: DeliveryOptions) {}

  start(): void {
    this.running ??= this.run().catch((err) => {
      this.o.logger.error({ err }, 'the delivery loop stopped on an unexpected error');
    });
  }

  /** Stops after the step in progress (a send under way is awaited by `done`, not abandoned). */
  stop(): void {
    this.stopper.abort();
  }

  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private get stopping(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    if (!this.o.sinkStarted && !(await this.startSink())) return;
    for (let attempt = 0; !this.stopping; ) {
      let next: QueuedBatch | null;
      try {
        next = await this.readOrStop();
      } catch (err) {
        // A queue that cannot be read now (e.g. a spool I/O error) is tried again, never given up on.
        const delay = backoffDelay(attempt++, this.o.retry);
        this.o.logger.error({ err, retry_in_ms: delay }, 'reading the queue failed');
        await sleep(delay, this.stopper.signal);
        continue;
      }
      attempt = 0;
      if (next === null) return;
      if (!(await this.deliver(next.events))) return;
      try {
        await this.o.queue.ack(next);
      } catch (err) {
        // The events were delivered; a failed ack only means they may be delivered again after a restart.
        this.o.logger.error({ err }, 'acknowledging a delivered batch failed');
      }
      this.o.onSettled(next.events);
    }
  }

  /** The next batch, or null once stopped (a batch read after that is left unacked, so it stays queued). */
  private readOrStop(): Promise<QueuedBatch | null> {
    const { signal } = this.stopper;
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onStop = () => resolve(null);
      signal.addEventListener('abort', onStop, { once: true });
      this.o.queue.read(this.o.batch.maxEvents, this.o.batch.lingerMs).then(
        (batch) => {
          signal.removeEventListener('abort', onStop);
          resolve(batch);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onStop);
          reject(err);
        },
      );
    });
  }

  private async startSink(): Promise<boolean> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.o.sink.start();
        this.o.logger.info({ sink: this.o.sink.name }, 'sink started');
        return true;
      } catch (err) {
        const delay = backoffDelay(attempt, this.o.retry);
        this.o.logger.warn({ err, sink: this.o.sink.name, retry_in_ms: delay }, 'sink failed to start');
        await sleep(delay, this.stopper.signal);
      }
    }
    return false;
  }

  /** Resolves true once the batch is settled (confirmed or dead-lettered), false if stopped first. */
  private async deliver(events: readonly Envelope[]): Promise<boolean> {
    const { sink, metrics, logger } = this.o;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const observe = (outcome: SendOutcome) =>
        metrics.sinkLatency.observe({ sink: sink.name, outcome }, (performance.now() - started) / 1000);
      try {
        const { rejected } = await sink.send(events);
        observe('ok');
        metrics.delivered.inc({ sink: sink.name }, events.length - rejected.length);
        this.observeLag(events, rejected);
        return await this.deadLetter(rejected);
      } catch (err) {
        const e = asSinkError(err);
        if (!e.retryable) {
          observe('permanent');
          logger.warn({ err: e, sink: sink.name, events: events.length }, 'sink refused a batch for good');
          const reason = `${e.code}: ${e.message}`;
          return await this.deadLetter(events.map((event) => ({ event, reason })));
        }
        observe('retryable');
        if (this.stopping) return false;
        const retryAfterMs = e.details?.retryAfterMs;
        const delay = backoffDelay(
          attempt,
          this.o.retry,
          typeof retryAfterMs === 'number' ? retryAfterMs : undefined,
        );
        logger.warn(
          { err: e, sink: sink.name, events: events.length, attempt: attempt + 1, retry_in_ms: delay },
          'sink send failed; retrying',
        );
        await sleep(delay, this.stopper.signal);
        if (this.stopping) return false;
        metrics.retried.inc({ sink: sink.name }, events.length);
      }
    }
  }

  /**
   * How long after its timestamp each confirmed event got to the target. The events of a batch share `now`,
   * and a run of them with one timestamp (whole seconds) has one lag: one observation of that run's count.
   */
  private observeLag(events: readonly Envelope[], rejected: readonly DeadLetter[]): void {
    const refused = rejected.length > 0 ? new Set(rejected.map((r) => r.event)) : undefined;
    const now = Date.now() / 1000;
    const { lag } = this.o.metrics;
    const sink = this.o.sink.name;
    let timestamp = Number.NaN;
    let run = 0;
    for (const event of events) {
      if (refused?.has(event)) continue;
      if (event.timestamp !== timestamp) {
        if (run > 0) lag.observe(sink, Math.max(0, now - timestamp), run);
        timestamp = event.timestamp;
        run = 0;
      }
      run++;
    }
    if (run > 0) lag.observe(sink, Math.max(0, now - timestamp), run);
  }

  private async deadLetter(letters: readonly DeadLetter[]): Promise<boolean> {
    if (letters.length === 0) return true;
    const { sink, metrics, logger, deadLetters } = this.o;
    for (let attempt = 0; ; attempt++) {
      try {
        await deadLetters.write(sink.name, letters);
        metrics.deadLettered.inc({ sink: sink.name }, letters.length);
        return true;
      } catch (err) {
        // The batch is not acked until its dead letters are on disk.
        const delay = backoffDelay(attempt, this.o.retry);
        logger.error({ err, path: deadLetters.path, retry_in_ms: delay }, 'writing dead letters failed');
        await sleep(delay, this.stopper.signal);
        if (this.stopping) return false;
      }
    }
  }
}
