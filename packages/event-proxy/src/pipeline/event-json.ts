import type { Envelope } from '@switchyard/shared';
import { serializedOf } from './serialized-envelope.js';

// Events are not changed once accepted, so the JSON made first stays right for every later stage.
const made = new WeakMap<Envelope, Buffer>();

/**
 * The event's JSON as UTF-8 bytes, made once and shared by every stage that needs it (the queue's size,
 * the spool's frame, the sink's message) instead of serialising the event at each. Throws as
 * `JSON.stringify` does for an event that cannot be written (a BigInt, a cycle), or a TypeError when it is
 * not a JSON value at all. The bytes are shared: read them, never write to them.
 */
export function eventJson(event: Envelope): Buffer {
  let bytes = serializedOf(event)?.json ?? made.get(event);
  if (bytes === undefined) {
    const text: string | undefined = JSON.stringify(event);
    if (typeof text !== 'string') throw new TypeError('the event is not a JSON value');
    bytes = Buffer.from(text);
    made.set(event, bytes);
  }
  return bytes;
}

/** Records the JSON an event was read from (or written as), so no later stage serialises it again. */
export function rememberJson(event: Envelope, bytes: Buffer): void {
  made.set(event, bytes);
}

/** The JSON of an event if it was already made. */
export function knownJson(event: Envelope): Buffer | undefined {
  return serializedOf(event)?.json ?? made.get(event);
}
