import { setTimeout as sleep } from 'node:timers/promises';
import {
  acceptWhenRoom,
  backoffDelay,
  type Source,
  type SourceContext,
  serializedEnvelope,
} from '@switchyard/event-proxy';
import type { EventHub, StoredEvent } from '@switchyard/gateway';
import type { Envelope, Logger } from '@switchyard/shared';

export interface HubSourceOptions {
  hub: EventHub;
  /** Most events per hand-off [500]. */
  maxBatch?: number;
  /** How long `flush` keeps handing over while the queue refuses [5 s]. */
  drainTimeoutMs?: number;
}

const RETRY = { initialMs: 50, maxMs: 2000 };

/**
 * The in-process hand-off from the gateway's event hub to the event proxy (`switchyard run`), without an
 * HTTP hop. It reads the hub's ring by sequence number, as an SSE client does: the hub only wakes it, so
 * the request path never waits. Its position moves past a batch only once the proxy's queue took it; while
 * the queue is full it waits and retries, and the hub's ring holds the events meanwhile. Only a queue
 * refusing for longer than the ring lasts loses events, and that is logged with the count.
 */
export class HubSource implements Source {
  readonly name = 'in_process';
  private next = 0;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private accept: ((events: readonly Envelope[]) => Promise<unknown>) | undefined;
  private logger: Logger | undefined;

  constructor(private readonly o: HubSourceOptions) {}

  /** The hub's sequence number up to which the proxy's queue took every event. */
  get taken(): number {
    return this.next;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.logger = ctx.logger;
    this.accept = acceptWhenRoom(ctx, this.stopping.signal);
    // Subscribing starts the hub recording; events from now on are this source's.
    this.unsubscribe = this.o.hub.watch(() => this.wake());
    this.next = this.o.hub.nextSeq;
  }

  /**
   * Hands over what the hub recorded until now; resolves once the proxy's queue took it, or after
   * `timeoutMs` while the queue keeps refusing. Call it before closing the proxy (which takes nothing more
   * once closing): `switchyard run` does, after the gateway finished its last requests.
   */
  async flush(timeoutMs = this.o.drainTimeoutMs ?? 5000): Promise<void> {
    const target = this.o.hub.nextSeq;
    const end = Date.now() + timeoutMs;
    while (this.next < target && Date.now() < end && !this.stopping.signal.aborted) {
      this.wake();
      await Promise.race([this.pumping, sleep(Math.max(1, Math.min(end - Date.now(), 100)))]);
    }
  }

  /** Stops taking events from the hub. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.stopping.abort();
    await this.pumping;
    const left = this.o.hub.nextSeq - this.next;
    if (left > 0) this.logger?.warn({ events: left }, 'stopped before the event proxy took every event');
  }

  private wake(): void {
    if (this.pumping || this.stopped || this.next >= this.o.hub.nextSeq) return;
    // Deferred: the hub calls this on the request path, and a burst goes over in one hand-off.
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.pumping = undefined;
        if (this.next < this.o.hub.nextSeq) this.wake();
      });
  }

  private async drain(): Promise<void> {
    const hub = this.o.hub;
    const max = this.o.maxBatch ?? 500;
    for (let attempt = 0; this.next < hub.nextSeq && !this.stopping.signal.aborted; ) {
      if (this.next < hub.oldestSeq) {
        // A hole left behind may stand for many events (a --workers worker's loss): counted as the hub does.
        const { missed, exact } = hub.missedBetween(this.next, hub.oldestSeq);
        this.logger?.error(
          { missed, exact },
          'the event ring moved past events the proxy had not taken: they are lost',
        );
        this.next = hub.oldestSeq;
      }
      const end = Math.min(hub.nextSeq, this.next + max);
      const batch: Envelope[] = [];
      let holes = 0;
      let uncounted: number | undefined;
      for (let seq = this.next; seq < end; seq++) {
        const stored = hub.entry(seq);
        if (!stored) {
          const atLeast = hub.uncountedAt(seq);
          if (atLeast === undefined) holes++;
          else uncounted = (uncounted ?? 0) + atLeast;
          continue;
        }
        batch.push(proxyEvent(stored));
      }
      try {
        await (this.accept as (events: readonly Envelope[]) => Promise<unknown>)(batch);
        this.next = end;
        attempt = 0;
        // A hole is an event lost before the hub got it (the gateway's hand-off was full), counted there.
        if (holes > 0)
          this.logger?.error({ missed: holes }, 'events lost before the event hub: the hand-off was full');
        if (uncounted !== undefined)
          this.logger?.error(
            { missed_at_least: uncounted },
            'events lost before the event hub: a gateway worker exited before it forwarded them',
          );
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        const delay = backoffDelay(attempt++, RETRY);
        this.logger?.warn({ err, events: batch.length, retry_in_ms: delay }, 'events not accepted; retrying');
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }
}

/**
 * A hub event as the event proxy takes it: the hub serialised it once, and the spool and the sink reuse
 * those bytes; its id, type, timestamp and request id (the Kafka key) go beside them, so the pipeline never
 * parses it.
 */
export function proxyEvent(stored: StoredEvent): Envelope {
  const { timestamp, requestId } = stored.facts;
  return serializedEnvelope({
    id: stored.id,
    event_type: stored.type,
    timestamp,
    json: stored.utf8,
    requestId,
  });
}
