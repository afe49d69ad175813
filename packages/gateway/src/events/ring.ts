/**
 * A fixed-size buffer of the latest items, addressed by a contiguous sequence number: item `seq` lives in
 * slot `seq % capacity` until `capacity` newer items overwrite it. Memory is bounded by construction.
 */
export class SeqRing<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be >= 1');
    this.slots = new Array<T | undefined>(capacity);
  }

  /** The sequence number the next pushed item gets. */
  get nextSeq(): number {
    return this.next;
  }

  /** The sequence number of the oldest item still held (equals nextSeq when empty). */
  get oldestSeq(): number {
    return Math.max(0, this.next - this.capacity);
  }

  get size(): number {
    return this.next - this.oldestSeq;
  }

  /** Stores `item` and returns its sequence number. */
  push(item: T): number {
    const seq = this.next++;
    this.slots[seq % this.capacity] = item;
    return seq;
  }

  /** Item `seq`, or undefined when it was overwritten or does not exist yet. */
  get(seq: number): T | undefined {
    if (seq < this.oldestSeq || seq >= this.next) return undefined;
    return this.slots[seq % this.capacity];
  }
}
