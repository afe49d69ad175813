import { type Envelope, isSwitchyardError } from '@switchyard/shared';
import type { ProxyMetrics } from '../admin/metrics.js';
import type { DeadLetter } from './dead-letter.js';
import type { FilterResult } from './filter.js';
import type { AppendResult, EventQueue } from './queue.js';

export interface IntakeResult {
  /** Events now held by the queue. */
  accepted: number;
  /** Events left out by the type filter. */
  filtered: number;
  /** Events the full policy dropped (these or older ones). */
  dropped: number;
  /** Events that cannot be serialized, written to the dead-letter file instead (present when some were). */
  deadLettered?: number;
}

export interface IntakeOptions {
  queue: EventQueue;
  filter: (events: readonly Envelope[]) => FilterResult;
  metrics: ProxyMetrics;
  /** The full policy, which names the drops it causes. */
  fullPolicy: 'block' | 'drop_oldest' | 'drop_newest';
  /** Writes events that can never be queued (not serializable) to the dead-letter file, and counts them. */
  deadLetter(letters: readonly DeadLetter[]): Promise<void>;
  /** Called with the count of events the queue took (for flush bookkeeping). */
  onAccepted(accepted: number): void;
  /** Called after each append with whether the queue took the events (for /readyz). */
  onTaking(taking: boolean): void;
}

interface Appended {
  result: AppendResult;
  letters: DeadLetter[];
}

/** The events of a batch that cannot be written as JSON (e.g. a BigInt from an in-process producer), and why. */
function unserializable(events: readonly Envelope[]): { good: Envelope[]; bad: DeadLetter[] } {
  const good: Envelope[] = [];
  const bad: DeadLetter[] = [];
  for (const event of events) {
    try {
      JSON.stringify(event);
      good.push(event);
    } catch (err) {
      bad.push({ event, reason: `the event cannot be serialized as JSON: ${(err as Error).message}` });
    }
  }
  return { good, bad };
}

/**
 * Where every source hands its valid events: count them, filter by type, append to the queue. Resolves
 * once the queue holds them; rejects with SWY_QUEUE_FULL under the block policy, or SWY_SPOOL_IO when the
 * spool's disk fails (nothing was taken either way). An event the queue cannot serialize is a permanent
 * failure: it goes to the dead-letter file, the rest of its batch is queued.
 */
export class Intake {
  constructor(private readonly o: IntakeOptions) {}

  async accept(events: readonly Envelope[], source: string): Promise<IntakeResult> {
    const { metrics } = this.o;
    const { kept, filtered } = this.o.filter(events);
    let appended: Appended = { result: { accepted: 0, dropped: 0 }, letters: [] };
    if (kept.length > 0) {
      try {
        appended = await this.append(kept);
      } catch (err) {
        // Refused (full under block, or the spool cannot write): nothing was taken, the producer retries.
        const full = isSwitchyardError(err, 'SWY_QUEUE_FULL');
        // Full: not ready until the sink makes room. A failing disk is the queue's own writable() to tell,
        // since it comes back without any event settling (an empty spool on a disk others filled).
        if (full) this.o.onTaking(false);
        if (full || isSwitchyardError(err, 'SWY_SPOOL_IO')) metrics.refused.inc({ source }, events.length);
        throw err;
      }
      this.o.onTaking(true);
    }
    const { result, letters } = appended;
    // Counted once taken, so a refused request that is sent again is not counted twice.
    metrics.received.inc({ source }, events.length);
    if (filtered > 0) metrics.filtered.inc(filtered);
    if (result.dropped > 0 && this.o.fullPolicy !== 'block') {
      metrics.dropped.inc({ reason: this.o.fullPolicy }, result.dropped);
    }
    this.o.onAccepted(result.accepted);
    // After the queue took the rest: a refused call leaves no dead letter to be written again on its retry.
    if (letters.length > 0) await this.o.deadLetter(letters);
    return {
      accepted: result.accepted,
      filtered,
      dropped: result.dropped,
      ...(letters.length > 0 && { deadLettered: letters.length }),
    };
  }

  /** Appends; when the queue refuses an event as unserializable, sets those aside and appends the others. */
  private async append(events: Envelope[]): Promise<Appended> {
    try {
      return { result: await this.o.queue.append(events), letters: [] };
    } catch (err) {
      if (!isSwitchyardError(err, 'SWY_INVALID_EVENT')) throw err;
      const { good, bad } = unserializable(events);
      // Refused for another reason (e.g. an event over the spool's record size): the caller hears why.
      if (bad.length === 0) throw err;
      const result = good.length > 0 ? await this.o.queue.append(good) : { accepted: 0, dropped: 0 };
      return { result, letters: bad };
    }
  }
}
