/**
 * A buffer of the latest items, addressed by a contiguous sequence number and bounded twice: by count
 * (`capacity` slots) and by bytes (`maxBytes`, the sum of the sizes given to `push`). The oldest items
 * leave first when either bound is reached. A sequence number may also be skipped (`skip`): it then holds
 * no item, and readers see a hole they report as missed.
 */
export class SeqRing<T> {
  private readonly slots: (T | undefined)[];
  private readonly sizes: Float64Array;
  private next = 0;
  private oldest = 0;
  private total = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be >= 1');
    if (!(maxBytes > 0)) throw new RangeError('ring byte bound must be > 0');
    this.slots = new Array<T | undefined>(capacity);
    this.sizes = new Float64Array(capacity);
  }

  /** The sequence number the next pushed item gets. */
  get nextSeq(): number {
    return this.next;
  }

  /** The sequence number of the oldest position still held (equals nextSeq when empty). */
  get oldestSeq(): number {
    return this.oldest;
  }

  /** Positions held, holes included. */
  get size(): number {
    return this.next - this.oldest;
  }

  /** Bytes held (the sizes given to `push`). */
  get bytes(): number {
    return this.total;
  }

  /** Starts an empty ring at sequence number `seq` (a successor continuing another ring's numbering). */
  startAt(seq: number): void {
    if (this.size > 0) throw new RangeError('only an empty ring can be moved');
    this.next = seq;
    this.oldest = seq;
  }

  /** Stores `item` of `bytes` bytes and returns its sequence number; older items leave to make room. */
  push(item: T, bytes = 0): number {
    while (this.next - this.oldest >= this.capacity || (this.total + bytes > this.maxBytes && this.size > 0))
      this.evict();
    const seq = this.next++;
    const slot = seq % this.capacity;
    this.slots[slot] = item;
    this.sizes[slot] = bytes;
    this.total += bytes;
    return seq;
  }

  /** Leaves `count` sequence numbers without items (events that were lost before they got here). */
  skip(count: number): void {
    if (count <= 0) return;
    if (count >= this.capacity) {
      while (this.size > 0) this.evict();
      this.next += count;
      this.oldest = this.next;
      return;
    }
    for (let i = 0; i < count; i++) {
      if (this.next - this.oldest >= this.capacity) this.evict();
      const slot = this.next++ % this.capacity;
      this.slots[slot] = undefined;
      this.sizes[slot] = 0;
    }
  }

  /** Item `seq`, or undefined when it left the ring, was skipped or does not exist yet. */
  get(seq: number): T | undefined {
    if (seq < this.oldest || seq >= this.next) return undefined;
    return this.slots[seq % this.capacity];
  }

  private evict(): void {
    const slot = this.oldest++ % this.capacity;
    this.total -= this.sizes[slot] as number;
    this.slots[slot] = undefined;
    this.sizes[slot] = 0;
  }
}
