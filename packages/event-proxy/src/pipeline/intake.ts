import type { Envelope } from '@switchyard/shared';
import type { ProxyMetrics } from '../admin/metrics.js';
import type { FilterResult } from './filter.js';
import type { AppendResult, EventQueue } from './queue.js';

export interface IntakeResult {
  /** Events now held by the queue. */
  accepted: number;
  /** Events left out by the type filter. */
  filtered: number;
  /** Events the full policy dropped (these or older ones). */
  dropped: number;
}

export interface IntakeOptions {
  queue: EventQueue;
  filter: (events: readonly Envelope[]) => FilterResult;
  metrics: ProxyMetrics;
  /** The full policy, which names the drops it causes. */
  fullPolicy: 'block' | 'drop_oldest' | 'drop_newest';
  /** Called with the count of events the queue took (for flush bookkeeping). */
  onAccepted(accepted: number): void;
  /** Called after each append with whether the queue took the events (for /readyz). */
  onTaking(taking: boolean): void;
}

/**
 * Where every source hands its valid events: count them, filter by type, append to the queue. Resolves
 * once the queue holds them; rejects with SWY_QUEUE_FULL under the block policy (nothing was taken).
 */
export class Intake {
  constructor(private readonly o: IntakeOptions) {}

  async accept(events: readonly Envelope[], source: string): Promise<IntakeResult> {
    const { metrics } = this.o;
    const { kept, filtered } = this.o.filter(events);
    let result: AppendResult = { accepted: 0, dropped: 0 };
    if (kept.length > 0) {
      try {
        result = await this.o.queue.append(kept);
      } catch (err) {
        // Refused (full under block, or the spool cannot write): nothing was taken, the producer retries.
        this.o.onTaking(false);
        throw err;
      }
      this.o.onTaking(true);
    }
    // Counted once taken, so a refused request that is sent again is not counted twice.
    metrics.received.inc({ source }, events.length);
    if (filtered > 0) metrics.filtered.inc(filtered);
    if (result.dropped > 0 && this.o.fullPolicy !== 'block') {
      metrics.dropped.inc({ reason: this.o.fullPolicy }, result.dropped);
    }
    this.o.onAccepted(result.accepted);
    return { accepted: result.accepted, filtered, dropped: result.dropped };
  }
}
