import type { Envelope } from '@switchyard/shared';
import { eventJson } from '../pipeline/event-json.js';
import type { Rejected } from './sink.js';

export interface Serialized {
  /** One JSON text (UTF-8) per event that could be serialized, in batch order. */
  lines: Buffer[];
  /** Events that cannot be written as JSON (e.g. a BigInt from an in-process producer): dead letters. */
  rejected: Rejected[];
}

/** Serializes each event on its own, so one that cannot be written does not fail the whole batch. */
export function serializeEach(batch: readonly Envelope[]): Serialized {
  const lines: Buffer[] = [];
  const rejected: Rejected[] = [];
  for (const event of batch) {
    try {
      lines.push(eventJson(event));
    } catch (err) {
      rejected.push({ event, reason: `the event cannot be serialized as JSON: ${(err as Error).message}` });
    }
  }
  return { lines, rejected };
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** `lines` as one body: `open`, the lines separated by `separator`, then `close`. */
function joinLines(lines: readonly Buffer[], open: Buffer, separator: Buffer, close: Buffer): Buffer {
  const parts: Buffer[] = [open];
  for (const [i, line] of lines.entries()) {
    if (i > 0) parts.push(separator);
    parts.push(line);
  }
  parts.push(close);
  return Buffer.concat(parts);
}

/** NDJSON: one event per line, each line ended by a newline. */
export const ndjson = (lines: readonly Buffer[]): Buffer => joinLines(lines, EMPTY, NEWLINE, NEWLINE);

/** A JSON array of the events. */
export const jsonArray = (lines: readonly Buffer[]): Buffer => joinLines(lines, OPEN, COMMA, CLOSE);
