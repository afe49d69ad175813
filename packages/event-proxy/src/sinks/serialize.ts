import type { Envelope } from '@switchyard/shared';
import type { Rejected } from './sink.js';

export interface Serialized {
  /** One JSON text per event that could be serialized, in batch order. */
  lines: string[];
  /** Events that cannot be written as JSON (e.g. a BigInt from an in-process producer): dead letters. */
  rejected: Rejected[];
}

/** Serializes each event on its own, so one that cannot be written does not fail the whole batch. */
export function serializeEach(batch: readonly Envelope[]): Serialized {
  const lines: string[] = [];
  const rejected: Rejected[] = [];
  for (const event of batch) {
    try {
      lines.push(JSON.stringify(event));
    } catch (err) {
      rejected.push({ event, reason: `the event cannot be serialized as JSON: ${(err as Error).message}` });
    }
  }
  return { lines, rejected };
}
