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

// Ids, pointers (key names) and reasons come from the input: bounded, so a listed problem stays small.
const MAX_ID_CHARS = 128;
const MAX_POINTER_CHARS = 256;
const MAX_REASON_CHARS = 300;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function itemProblem(item: BodyItem, pointer: string, reason: string, id?: unknown): ItemProblem {
  return {
    index: item.index,
    ...(item.line !== undefined && { line: item.line }),
    ...(typeof id === 'string' && { id: clip(id, MAX_ID_CHARS) }),
    pointer: clip(pointer, MAX_POINTER_CHARS),
    reason: clip(reason, MAX_REASON_CHARS),
  };
}

/** The problems of one item (empty when it is a valid envelope). */
export function envelopeItemProblems(item: BodyItem): ItemProblem[] {
  const found = envelopeProblems(item.value);
  if (found.length === 0) return [];
  const id = (item.value as { id?: unknown } | null)?.id;
  return found.map((p) => itemProblem(item, p.pointer, p.message, id));
}

/** Problems listed in an answer or error (ingest's 400, publish()'s SWY_INVALID_EVENT); all are counted. */
export const MAX_LISTED_PROBLEMS = 100;

/** Splits items into valid envelopes and the problems of the others: the first MAX_LISTED_PROBLEMS kept, all counted. */
export function validateEnvelopes(items: readonly BodyItem[]): {
  valid: Envelope[];
  invalid: number;
  problems: ProblemList;
} {
  const valid: Envelope[] = [];
  const problems = new ProblemList(MAX_LISTED_PROBLEMS);
  let invalid = 0;
  for (const item of items) {
    const found = envelopeItemProblems(item);
    if (found.length === 0) valid.push(item.value as Envelope);
    else {
      invalid++;
      problems.add(found);
    }
  }
  return { valid, invalid, problems };
}

/** The problems of a request: every one counted, the first `max` kept for the answer. */
export class ProblemList {
  readonly listed: ItemProblem[] = [];
  total = 0;

  constructor(private readonly max: number) {}

  add(problems: readonly ItemProblem[]): void {
    this.total += problems.length;
    for (const p of problems) {
      if (this.listed.length >= this.max) return;
      this.listed.push(p);
    }
  }
}
