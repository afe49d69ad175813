import type { Envelope, EventType } from '@switchyard/shared';

/** What a stage downstream may need of an event without parsing its text. */
export interface EventFacts {
  /** The envelope's `timestamp` (Unix seconds). */
  timestamp: number;
  /** The `request_id` of a `request` or `response` event (the partition key of a request's events). */
  requestId: string | undefined;
}

/**
 * One recorded event, serialised once: `json` is its envelope's text (or `utf8` its bytes, for an event
 * the event worker wrote straight from a hand-off record), which every stream and sink reuses.
 * Its envelope object is parsed only when a consumer asks for it (an event that crossed from the event
 * worker exists only as text, one the worker wrote from a hand-off record only as bytes).
 */
export class StoredEvent {
  private parsed: Envelope | undefined;
  private text: string | undefined;
  private sse: string | undefined;
  private known: EventFacts | undefined;
  private encoded: Buffer | undefined;

  constructor(
    readonly seq: number,
    readonly id: string,
    readonly type: EventType,
    json: string | undefined,
    event?: Envelope,
    facts?: EventFacts,
    utf8?: Buffer,
  ) {
    this.text = json;
    this.parsed = event;
    this.known = facts;
    this.encoded = utf8;
  }

  /** Its envelope's text (decoded the first time it is asked for when the event was made as bytes). */
  get json(): string {
    this.text ??= (this.encoded as Buffer).toString('utf8');
    return this.text;
  }

  /** Its text as UTF-8 (what a spool or a sink writes), made once. Shared: never write to it. */
  get utf8(): Buffer {
    this.encoded ??= Buffer.from(this.json);
    return this.encoded;
  }

  get event(): Envelope {
    this.parsed ??= JSON.parse(this.json) as Envelope;
    return this.parsed;
  }

  /** Its timestamp and request id: given when it was made, else read from the envelope. */
  get facts(): EventFacts {
    if (this.known === undefined) {
      const e = this.event;
      this.known = {
        timestamp: e.timestamp,
        requestId: e.event_type === 'request' || e.event_type === 'response' ? e.data.request_id : undefined,
      };
    }
    return this.known;
  }

  /** Its Server-Sent Events frame (`id:`, `event:`, `data:`), built the first time a stream needs it. */
  get frame(): string {
    this.sse ??= `id: ${this.id}\nevent: ${this.type}\ndata: ${this.json}\n\n`;
    return this.sse;
  }

  /** What it holds in memory, about: the text (or its bytes), twice once framed. */
  get bytes(): number {
    return 2 * (this.text?.length ?? (this.encoded as Buffer).length) + 64;
  }

  static of(seq: number, event: Envelope): StoredEvent {
    return new StoredEvent(seq, event.id, event.event_type, JSON.stringify(event), event);
  }
}
