import type { EventHub } from '@switchyard/gateway';
import type { FromWorker, WorkerEvent } from './messages.js';

export interface ForwarderOptions {
  hub: EventHub;
  /** Sends one message to the primary; `done` is called once it left this process. */
  send: (message: FromWorker, done: () => void) => void;
  /** Most events per message [1000]. */
  maxBatch?: number;
  /** Messages sent and not yet written out before reading stops (the hub's ring holds the rest) [16]. */
  maxUnsent?: number;
}

/**
 * A `--workers` worker's events on their way to the primary, which merges every worker's into the node's
 * hub: it reads this worker's hub ring by sequence number (as an SSE stream does) and sends what is there
 * in one message per wake-up, so a burst of events costs one IPC message, not one each. While the primary
 * is slow it stops reading and the ring holds the events; what the ring dropped meanwhile, and holes the
 * hub recorded (a full hand-off), travel as a `lost` count, which the primary records as an exact gap.
 *
 * `node_health` and the `config` changes of `plugin_updated` stay here: the primary tells them once for
 * the node (its health knows every worker; a reload is the node's), instead of once per worker.
 */
export class EventForwarder {
  private next = 0;
  private lost = 0;
  private unsent = 0;
  private scheduled = false;
  private unwatch: (() => void) | undefined;
  private idle: (() => void)[] = [];

  constructor(private readonly o: ForwarderOptions) {}

  /** Follows the hub while the node's consumers want events; from the next event on when turned on. */
  set recording(on: boolean) {
    if (on === (this.unwatch !== undefined)) return;
    if (on) {
      this.unwatch = this.o.hub.watch(() => this.wake());
      this.next = this.o.hub.nextSeq;
    } else {
      this.unwatch?.();
      this.unwatch = undefined;
    }
  }

  /** Resolves once every event the hub holds was sent and written out. */
  flush(): Promise<void> {
    this.pump();
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * What the primary has not been sent yet, counted as it counts what arrives (each forwarded event, and
   * each event lost here, once): the events `hub` holds past the last batch, and those the ring dropped
   * before they were read. Told with the worker's status, so that a worker killed before it sent them
   * leaves a gap of at least this many.
   */
  get backlog(): number {
    if (this.unwatch === undefined) return 0;
    const hub = this.o.hub;
    let n = 0;
    let seq = this.next;
    if (seq < hub.oldestSeq) {
      n += hub.oldestSeq - seq;
      seq = hub.oldestSeq;
    }
    for (; seq < hub.nextSeq; seq++) {
      const stored = hub.entry(seq);
      if (!stored || forwarded(stored.type, stored)) n++;
    }
    return n;
  }

  private settled(): boolean {
    return this.unsent === 0 && (this.unwatch === undefined || this.next >= this.o.hub.nextSeq);
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Deferred: the hub calls this on the request path, and what a burst adds goes in one message.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const hub = this.o.hub;
    const max = this.o.maxBatch ?? 1000;
    while (this.unwatch && this.next < hub.nextSeq && this.unsent < (this.o.maxUnsent ?? 16)) {
      if (this.next < hub.oldestSeq) {
        this.lost += hub.oldestSeq - this.next;
        this.next = hub.oldestSeq;
      }
      const end = Math.min(hub.nextSeq, this.next + max);
      const events: WorkerEvent[] = [];
      for (let seq = this.next; seq < end; seq++) {
        const stored = hub.entry(seq);
        if (!stored) this.lost++;
        else if (forwarded(stored.type, stored)) events.push({ type: stored.type, json: stored.json });
      }
      this.next = end;
      if (events.length === 0 && this.lost === 0) continue;
      this.unsent++;
      const lost = this.lost;
      this.lost = 0;
      this.o.send({ swy: 'events', events, lost }, () => {
        this.unsent--;
        if (this.unwatch && this.next < hub.nextSeq) this.wake();
        if (this.settled()) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }
}

function forwarded(type: string, stored: { event: { data: unknown } }): boolean {
  if (type === 'node_health') return false;
  if (type !== 'plugin_updated') return true;
  return (stored.event.data as { change?: unknown }).change !== 'config';
}
