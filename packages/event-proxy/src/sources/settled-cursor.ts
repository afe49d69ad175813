import type { Envelope } from '@switchyard/shared';

/**
 * The gateway stream's cursor for a memory-only queue: the id of the last stream event the sink confirmed
 * (or dead-lettered), not the last one queued, because a restart loses what the memory queue held. Events
 * are settled in queue order, so a settled stream event also settles every stream event queued before it;
 * those that never settle on their own (filtered out, dropped by the full policy) are passed that way.
 */
export class SettledCursor {
  /** Ids handed to the pipeline and not yet passed, in stream order. */
  private ids: string[] = [];
  private head = 0;
  private readonly waiting = new Set<string>();

  constructor(private readonly onCursor: (id: string) => void) {}

  /** Call before handing `events` to the pipeline (settlement may come before the hand-off returns). */
  handing(events: readonly Envelope[]): void {
    for (const e of events) {
      this.ids.push(e.id);
      this.waiting.add(e.id);
    }
  }

  /** The hand-off of the last `count` ids failed: they were not queued. */
  refused(count: number): void {
    for (const id of this.ids.splice(this.ids.length - count, count)) this.waiting.delete(id);
  }

  /** A batch the sink settled, from any source: moves the cursor to its last stream event. */
  settled(events: readonly Envelope[]): void {
    let last: string | undefined;
    for (const e of events) if (this.waiting.has(e.id)) last = e.id;
    if (last === undefined) return;
    let id: string | undefined;
    do {
      id = this.ids[this.head++] as string;
      this.waiting.delete(id);
    } while (id !== last);
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
    this.onCursor(last);
  }
}
