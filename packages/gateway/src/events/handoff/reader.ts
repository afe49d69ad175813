import {
  COMMIT_FIELDS,
  COMMITTED,
  type CommitPoint,
  DROPPED,
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

/** One record as read: its bytes stay in the ring until a commit point past `end` hands them back. */
export interface RawRecord {
  /** The record (without its length word), a view into the ring: kind, drop count, fields. */
  bytes: Buffer;
  /** The ring position after it. */
  end: number;
  /** Records the writer dropped just before this one: their sequence numbers come first, as a hole. */
  lostBefore: number;
}

/**
 * The event worker's side of the hand-off. It reads ahead of what it has committed: a record's bytes are
 * released to the writer only once its events were handed on (to the proxy's queue in `run`), so a worker
 * that dies before that leaves them for its successor. The successor resumes from the last commit point,
 * reads the same records with the same drops between them, and so numbers them as its predecessor did:
 * an event made again carries the same id.
 */
export class HandoffReader {
  private readonly v: HandoffViews;
  private pos: number;
  private seenDropped: number;
  /** Where the reader resumed: the last commit point of the worker before it. */
  readonly resumed: CommitPoint;

  constructor(sab: SharedArrayBuffer) {
    this.v = viewsOf(sab);
    this.resumed = this.committed();
    this.pos = this.resumed.end;
    // From what the last worker committed, not from now: drops made while no worker ran count too.
    this.seenDropped = this.resumed.dropped;
  }

  /**
   * The next record, or undefined when the writer has written nothing more, or when more than `maxLost`
   * records were dropped before it (it is then left to be read later).
   */
  next(maxLost = Number.POSITIVE_INFINITY): RawRecord | undefined {
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
      const dropped = data.readUInt32LE(offset + 5);
      const lostBefore = (dropped - this.seenDropped) >>> 0;
      if (lostBefore > maxLost) return undefined;
      this.pos = (this.pos + ((len + 3) & ~3)) >>> 0;
      this.seenDropped = dropped;
      return { bytes: data.subarray(offset + 4, offset + len), end: this.pos, lostBefore };
    }
  }

  /**
   * Records dropped since the last record read, once every record written is read (before that, the
   * next record read carries them). The count is loaded before the write position: a drop made after a
   * record the reader has not seen yet is told by that record, so holes always fall at the same place.
   * None are taken when there are more than `max`.
   */
  takeDropped(max = Number.POSITIVE_INFINITY): number {
    const { control } = this.v;
    const now = Atomics.load(control, DROPPED) >>> 0;
    if (Atomics.load(control, WRITE) >>> 0 !== this.pos) return 0;
    const n = (now - this.seenDropped) >>> 0;
    if (n > max) return 0;
    this.seenDropped = now;
    return n;
  }

  /** Whether the writer wrote records not read yet. */
  get unread(): boolean {
    return Atomics.load(this.v.control, WRITE) >>> 0 !== this.pos;
  }

  /** The ring position and drop count read so far (what a commit point after them holds). */
  get mark(): { end: number; dropped: number } {
    return { end: this.pos, dropped: this.seenDropped };
  }

  /**
   * Publishes a commit point: the ring up to `point.end` goes back to the writer, and a worker started
   * after this one resumes there.
   */
  commit(point: CommitPoint): void {
    const { control, commits } = this.v;
    const slot = 1 - Atomics.load(control, COMMITTED);
    const at = slot * COMMIT_FIELDS;
    commits[at] = point.end;
    commits[at + 1] = point.seq;
    commits[at + 2] = point.dropped;
    commits[at + 3] = point.idTime;
    Atomics.store(control, COMMITTED, slot);
    Atomics.store(control, READ, point.end | 0);
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

  private committed(): CommitPoint {
    const { control, commits } = this.v;
    const at = Atomics.load(control, COMMITTED) * COMMIT_FIELDS;
    return {
      end: (commits[at] as number) >>> 0,
      seq: commits[at + 1] as number,
      dropped: (commits[at + 2] as number) >>> 0,
      idTime: commits[at + 3] as number,
    };
  }
}
