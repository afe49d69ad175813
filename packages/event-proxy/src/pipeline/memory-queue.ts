import { type Envelope, SwitchyardError } from '@switchyard/shared';
import { eventJson } from './event-json.js';
import type { AppendResult, EventQueue, QueuedBatch } from './queue.js';

export type FullPolicy = 'block' | 'drop_oldest' | 'drop_newest';

export interface MemoryQueueOptions {
  /** Events held at most (waiting plus handed out, not yet acked). */
  maxEvents: number;
  fullPolicy: FullPolicy;
}

interface Entry {
  event: Envelope;
  bytes: number;
}

interface Token {
  events: number;
  bytes: number;
}

/** The event's JSON size; SWY_INVALID_EVENT when it cannot be written as JSON (as the disk spool refuses it). */
function sizeOf(event: Envelope, index: number): number {
  try {
    return eventJson(event).length;
  } catch (err) {
    throw new SwitchyardError('SWY_INVALID_EVENT', `event ${index} cannot be serialised to JSON`, {
      cause: err,
      details: { index },
    });
  }
}

/**
 * The in-memory queue: bounded by event count, applying the full policy. Events here do not survive a
 * restart; the disk spool implements the same interface for that.
 */
export class MemoryQueue implements EventQueue {
  // A FIFO as an array with a moving head: shift() on a large array is O(n).
  private pending: Entry[] = [];
  private head = 0;
  private pendingBytes = 0;
  private readonly handedOut: Token[] = [];
  private handedOutEvents = 0;
  private handedOutBytes = 0;
  private wakers: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: MemoryQueueOptions) {}

  private get pendingCount(): number {
    return this.pending.length - this.head;
  }

  async append(events: readonly Envelope[]): Promise<AppendResult> {
    if (this.closed) throw new SwitchyardError('SWY_SHUTTING_DOWN', 'the event queue is closed');
    // Sized before anything is taken, so an event that cannot be serialised fails the call as a whole.
    const sizes = events.map(sizeOf);
    const held = this.pendingCount + this.handedOutEvents;
    const free = Math.max(0, this.options.maxEvents - held);
    let incoming = events;
    let dropped = 0;
    if (events.length > free) {
      switch (this.options.fullPolicy) {
        case 'block':
          // An empty queue takes a batch larger than its bound, or that batch could never get in.
          if (held > 0) {
            throw new SwitchyardError(
              'SWY_QUEUE_FULL',
              `the event queue is full (${held} of ${this.options.maxEvents} events)`,
              { details: { retryAfterMs: 1000 } },
            );
          }
          break;
        case 'drop_newest':
          incoming = events.slice(0, free);
          dropped = events.length - free;
          break;
        case 'drop_oldest': {
          const evict = Math.min(events.length - free, this.pendingCount);
          this.evictOldest(evict);
          dropped = evict;
          // Events already handed out to the sink cannot be evicted; the oldest incoming ones make way.
          const room = this.options.maxEvents - this.pendingCount - this.handedOutEvents;
          if (events.length > room) {
            incoming = events.slice(events.length - room);
            dropped += events.length - room;
          }
          break;
        }
      }
    }
    // `incoming` is the first events (drop_newest) or the last ones (drop_oldest) of the call.
    const start = this.options.fullPolicy === 'drop_oldest' ? events.length - incoming.length : 0;
    for (const [i, event] of incoming.entries()) {
      const bytes = sizes[start + i] as number;
      this.pending.push({ event, bytes });
      this.pendingBytes += bytes;
    }
    this.wake();
    return { accepted: incoming.length, dropped };
  }

  async read(max: number, lingerMs: number): Promise<QueuedBatch | null> {
    while (this.pendingCount === 0) {
      if (this.closed) return null;
      await this.waitForChange(undefined);
    }
    if (this.pendingCount < max && lingerMs > 0) {
      const deadline = Date.now() + lingerMs;
      while (!this.closed && this.pendingCount < max && Date.now() < deadline) {
        await this.waitForChange(deadline - Date.now());
      }
    }
    if (this.closed) return null;
    const take = Math.min(max, this.pendingCount);
    const entries = this.pending.slice(this.head, this.head + take);
    this.head += take;
    this.compact();
    let bytes = 0;
    const events = entries.map((e) => {
      bytes += e.bytes;
      return e.event;
    });
    this.pendingBytes -= bytes;
    const token: Token = { events: take, bytes };
    this.handedOut.push(token);
    this.handedOutEvents += take;
    this.handedOutBytes += bytes;
    return { events, token };
  }

  async ack(batch: QueuedBatch): Promise<void> {
    if (this.handedOut[0] !== batch.token) {
      throw new SwitchyardError('SWY_INVALID_ARGUMENT', 'batches must be acked in the order they were read');
    }
    const token = this.handedOut.shift() as Token;
    this.handedOutEvents -= token.events;
    this.handedOutBytes -= token.bytes;
  }

  depth(): { events: number; bytes: number } {
    return {
      events: this.pendingCount + this.handedOutEvents,
      bytes: this.pendingBytes + this.handedOutBytes,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }

  private evictOldest(n: number): void {
    for (let i = 0; i < n; i++) this.pendingBytes -= (this.pending[this.head + i] as Entry).bytes;
    this.head += n;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  /** Resolves on the next append or close, or after `timeoutMs`. */
  private waitForChange(timeoutMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.wakers.push(done);
      if (timeoutMs !== undefined) timer = setTimeout(done, Math.max(0, timeoutMs));
    });
  }
}
