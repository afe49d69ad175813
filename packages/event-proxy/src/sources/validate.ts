import { type Envelope, envelopeProblems } from '@switchyard/shared';
import type { BodyItem } from './body-items.js';

/** One problem of one item of a request body, as the 400 answer lists it. */
export interface ItemProblem {
  /** 0-based position of the item in the body (array index, or NDJSON record). */
  index: number;
  /** 1-based line of an NDJSON record. */
  line?: number;
  /** The item's `id` when it has a string one, to help the producer find it. */
  id?: string;
  /** JSON pointer inside the item. */
  pointer: string;
  reason: string;
}

export function itemProblem(item: BodyItem, pointer: string, reason: string, id?: unknown): ItemProblem {
  return {
    index: item.index,
    ...(item.line !== undefined && { line: item.line }),
    ...(typeof id === 'string' && { id }),
    pointer,
    reason,
  };
}

/** Splits body items into valid envelopes and the problems of the others. */
export function validateEnvelopes(items: readonly BodyItem[]): {
  valid: Envelope[];
  problems: ItemProblem[];
} {
  const valid: Envelope[] = [];
  const problems: ItemProblem[] = [];
  for (const item of items) {
    const found = envelopeProblems(item.value);
    if (found.length === 0) {
      valid.push(item.value as Envelope);
      continue;
    }
    const id = (item.value as { id?: unknown } | null)?.id;
    for (const p of found) problems.push(itemProblem(item, p.pointer, p.message, id));
  }
  return { valid, problems };
}
