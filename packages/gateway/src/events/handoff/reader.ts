import {
  DROPPED,
  DROPPED_REPORTED,
  type HandoffViews,
  PADDING,
  READ,
  SLEEPING,
  viewsOf,
  WRITE,
} from './layout.js';

// Node ≥ 16 has it; the project's TypeScript lib (ES2022) does not declare it yet.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** One record as read: its bytes stay in the ring until `commit` hands the position back. */
export interface RawRecord {
  /** The record (without its length word), a view into the ring. */
  bytes: Buffer;
  /** The ring position after it: commit this once the record's events are handed on. */
  end: number;
}

/**
 * The event worker's side of the hand-off. It reads ahead of what it has committed: a record's bytes are
 * released to the writer only once its events were handed on (to the proxy's queue in `run`), so a worker
 * that dies before that leaves them for its successor.
 */
export class HandoffReader {
  private readonly v: HandoffViews;
  private pos: number;
  private seenDropped: number;

  constructor(sab: SharedArrayBuffer) {
    this.v = viewsOf(sab);
    this.pos = Atomics.load(this.v.control, READ) >>> 0;
    // From what the last worker reported, not from now: drops made while no worker ran count too.
    this.seenDropped = Atomics.load(this.v.control, DROPPED_REPORTED) >>> 0;
  }

  /** The next record, or undefined when the writer has written nothing more. */
  next(): RawRecord | undefined {
    const { control, data, mask } = this.v;
    for (;;) {
      const w = Atomics.load(control, WRITE) >>> 0;
      if (this.pos === w) return undefined;
      const offset = this.pos & mask;
      const len = data.readInt32LE(offset);
      if (len === PADDING) {
        this.pos = (this.pos + (data.length - offset)) >>> 0;
        continue;
      }
      this.pos = (this.pos + ((len + 3) & ~3)) >>> 0;
      return { bytes: data.subarray(offset + 4, offset + len), end: this.pos };
    }
  }

  /** Releases the ring up to `end` (a record's `end`) to the writer. */
  commit(end: number): void {
    Atomics.store(this.v.control, READ, end | 0);
  }

  /** Records the writer dropped since the last call. */
  takeDropped(): number {
    const now = Atomics.load(this.v.control, DROPPED) >>> 0;
    const n = (now - this.seenDropped) >>> 0;
    this.seenDropped = now;
    Atomics.store(this.v.control, DROPPED_REPORTED, now | 0);
    return n;
  }

  /** Publishes the sequence number the worker's next event gets (the request thread reads it). */
  publishNextSeq(seq: number): void {
    Atomics.store(this.v.nextSeq, 0, BigInt(seq));
  }

  /** Resolves when the writer wrote or dropped something, or after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    const { control } = this.v;
    Atomics.store(control, SLEEPING, 1);
    const w = Atomics.load(control, WRITE);
    if (w >>> 0 !== this.pos || Atomics.load(control, DROPPED) >>> 0 !== this.seenDropped) {
      Atomics.store(control, SLEEPING, 0);
      return;
    }
    const waited = waitAsync(control, WRITE, w, timeoutMs);
    if (waited.async) await waited.value;
    Atomics.store(control, SLEEPING, 0);
  }
}
