import type { Envelope, EventType } from '@switchyard/shared';

/**
 * One recorded event, serialised once: `json` is its envelope's text, which every stream and sink reuses.
 * Its envelope object is parsed only when a consumer asks for it (an event that crossed from the event
 * worker arrives as text).
 */
export class StoredEvent {
  private parsed: Envelope | undefined;
  private sse: string | undefined;

  constructor(
    readonly seq: number,
    readonly id: string,
    readonly type: EventType,
    readonly json: string,
    event?: Envelope,
  ) {
    this.parsed = event;
  }

  get event(): Envelope {
    this.parsed ??= JSON.parse(this.json) as Envelope;
    return this.parsed;
  }

  /** Its Server-Sent Events frame (`id:`, `event:`, `data:`), built the first time a stream needs it. */
  get frame(): string {
    this.sse ??= `id: ${this.id}\nevent: ${this.type}\ndata: ${this.json}\n\n`;
    return this.sse;
  }

  /** What it holds in memory, about: the text, twice once framed. */
  get bytes(): number {
    return 2 * this.json.length + 64;
  }

  static of(seq: number, event: Envelope): StoredEvent {
    return new StoredEvent(seq, event.id, event.event_type, JSON.stringify(event), event);
  }
}
