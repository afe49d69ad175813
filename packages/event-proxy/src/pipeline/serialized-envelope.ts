import type { Envelope, EventType } from '@switchyard/shared';

/** What a producer that serialised an event itself tells about it, so no stage has to parse it. */
export interface SerializedEvent {
  id: string;
  event_type: EventType;
  /** Unix seconds, as in the envelope. */
  timestamp: number;
  /** The envelope's JSON (UTF-8), written by the spool and the sinks as it is. Never written to. */
  json: Buffer;
  /** The `request_id` of a `request` or `response` event (the Kafka key), undefined for other types. */
  requestId: string | undefined;
}

/**
 * An envelope that arrived serialised (the gateway's event hub, in process): what the pipeline reads of
 * every event (id, type, timestamp, the Kafka key) is carried beside its bytes, and the rest of the object
 * is parsed only if a stage reads it (a routing template, a dead letter). `JSON.stringify` gives the
 * envelope through `toJSON`.
 */
class ParsedOnDemand {
  readonly id: string;
  readonly event_type: EventType;
  readonly timestamp: number;
  readonly json: Buffer;
  readonly requestId: string | undefined;
  #parsed: Envelope | undefined;

  constructor(e: SerializedEvent) {
    this.id = e.id;
    this.event_type = e.event_type;
    this.timestamp = e.timestamp;
    this.json = e.json;
    this.requestId = e.requestId;
  }

  get kong_node_id(): string {
    return this.toJSON().kong_node_id;
  }

  get data(): Envelope['data'] {
    return this.toJSON().data;
  }

  toJSON(): Envelope {
    this.#parsed ??= JSON.parse(this.json.toString('utf8')) as Envelope;
    return this.#parsed;
  }
}

/** The pipeline's view of an event the producer serialised: an Envelope whose bytes every stage reuses. */
export function serializedEnvelope(e: SerializedEvent): Envelope {
  return new ParsedOnDemand(e) as unknown as Envelope;
}

/** The bytes and request id of an event made by `serializedEnvelope`, else undefined. */
export function serializedOf(event: Envelope): ParsedOnDemand | undefined {
  return event instanceof ParsedOnDemand ? event : undefined;
}
