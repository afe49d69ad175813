import { ulid } from '../id/ulid.js';
import type { EventData, EventType } from './schema.js';

export interface EnvelopeOf<T extends EventType> {
  id: string;
  event_type: T;
  timestamp: number;
  kong_node_id: string;
  data: EventData<T>;
}

/**
 * Wraps `data` in an envelope with a fresh time-ordered id and the current time in Unix seconds. A producer
 * that numbers its events itself (the gateway's event hub) passes its own ULID-shaped `id`.
 */
export function createEnvelope<T extends EventType>(
  eventType: T,
  data: EventData<T>,
  nodeId: string,
  now: number = Date.now(),
  id: string = ulid(now),
): EnvelopeOf<T> {
  return {
    id,
    event_type: eventType,
    timestamp: Math.floor(now / 1000),
    kong_node_id: nodeId,
    data,
  };
}
