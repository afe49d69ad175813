import type { EventType } from '@switchyard/shared';
import type { JsonBytes } from './json-bytes.js';

const ID = Buffer.from('{"id":"');

/**
 * The text of an envelope up to its `data`, in createEnvelope's key order: the parts that never change
 * for a node (keys, the event type, the node id as JSON, encoded once) are copied as bytes, and only the
 * id and the timestamp are written per event, with no string made for the whole.
 */
export class EnvelopeHead {
  private readonly types = new Map<EventType, Buffer>();
  /** `,"kong_node_id":…,"data":` */
  private readonly tail: Buffer;

  constructor(readonly nodeId: string) {
    this.tail = Buffer.from(`,"kong_node_id":${JSON.stringify(nodeId)},"data":`);
  }

  /** Writes the head of an event of `type` with `id`, at `at` (ms; the envelope holds whole seconds). */
  write(w: JsonBytes, type: EventType, id: string, at: number): void {
    let middle = this.types.get(type);
    if (middle === undefined) {
      middle = Buffer.from(`","event_type":"${type}","timestamp":`);
      this.types.set(type, middle);
    }
    w.bytes(ID)
      .ascii(id)
      .bytes(middle)
      .num(Math.floor(at / 1000))
      .bytes(this.tail);
  }
}
