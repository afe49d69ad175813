import type { Envelope } from '@switchyard/shared';
import type { ProxyMetrics } from '../admin/metrics.js';
import type { FilterResult } from './filter.js';
import type { EventQueue } from './queue.js';

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
  /** Called when the queue refused events because it is full (for /readyz). */
  onFull(full: boolean): void;
}

/**
 * Where every source hands its valid events: count them, filter by type, append to the queue. Resolves
 * once the queue holds them; rejects with SWY_QUEUE_FULL under the block policy (nothing was taken).
 */
export class Intake {
  constructor(private readonly o: IntakeOptions) {}

  async accept(events: readonly Envelope[], source: string): Promise<IntakeResult> {
    const { metrics } = this.o;
    metrics.received.inc({ source }, events.length);
    const { kept, filtered } = this.o.filter(events);
    if (filtered > 0) metrics.filtered.inc(filtered);
    if (kept.length === 0) return { accepted: 0, filtered, dropped: 0 };
    let result: Awaited<ReturnType<EventQueue['append']>>;
    try {
      result = await this.o.queue.append(kept);
    } catch (err) {
      this.o.onFull(true);
      throw err;
    }
    this.o.onFull(false);
    if (result.dropped > 0 && this.o.fullPolicy !== 'block') {
      metrics.dropped.inc({ reason: this.o.fullPolicy }, result.dropped);
    }
    this.o.onAccepted(result.accepted);
    return { accepted: result.accepted, filtered, dropped: result.dropped };
  }
}
