import {
  DROPPED,
  type HandoffViews,
  PADDING,
  READ,
  RECORD_HEADER,
  SLEEPING,
  viewsOf,
  WRITE,
} from './layout.js';

/** The largest record; a request's captured headers are capped well below it. */
const SCRATCH_BYTES = 256 * 1024;

/**
 * The request thread's side of the hand-off. A record is encoded into a preallocated scratch buffer, then
 * copied into the ring in one piece if it fits; if not, it is dropped and counted, and the request goes on:
 * the writer never waits and never allocates per record.
 */
export class HandoffWriter {
  private readonly v: HandoffViews;
  private readonly size: number;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private pos = 0;
  private overflow = false;
  private lost = 0;

  constructor(sab: SharedArrayBuffer) {
    this.v = viewsOf(sab);
    this.size = this.v.data.length;
  }

  /** Records dropped because the ring was full (or one was too large), since the start. */
  get dropped(): number {
    return this.lost;
  }

  /** Bytes in the ring not yet handed on by the worker. */
  get pending(): number {
    return (Atomics.load(this.v.control, WRITE) - Atomics.load(this.v.control, READ)) >>> 0;
  }

  /** The sequence number the worker gives its next event. */
  get workerNextSeq(): number {
    return Number(Atomics.load(this.v.nextSeq, 0));
  }

  get capacity(): number {
    return this.size;
  }

  begin(kind: number): this {
    this.overflow = false;
    this.scratch[4] = kind;
    // The drop count goes in at commit (bytes 5-8): a drop between begin and commit is counted before it.
    this.pos = 4 + RECORD_HEADER;
    return this;
  }

  u8(value: number): this {
    if (this.pos + 1 > SCRATCH_BYTES) this.overflow = true;
    else this.scratch[this.pos++] = value;
    return this;
  }

  u32(value: number): this {
    if (this.pos + 4 > SCRATCH_BYTES) this.overflow = true;
    else this.pos = this.scratch.writeUInt32LE(value >>> 0, this.pos);
    return this;
  }

  i32(value: number): this {
    if (this.pos + 4 > SCRATCH_BYTES) this.overflow = true;
    else this.pos = this.scratch.writeInt32LE(value | 0, this.pos);
    return this;
  }

  f64(value: number): this {
    if (this.pos + 8 > SCRATCH_BYTES) this.overflow = true;
    else this.pos = this.scratch.writeDoubleLE(value, this.pos);
    return this;
  }

  /** A UTF-8 string with its byte length in front. */
  str(value: string): this {
    const n = value.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + 4 + 3 * n > SCRATCH_BYTES) {
      this.overflow = true;
      return this;
    }
    const b = this.scratch;
    const start = this.pos + 4;
    // Short ASCII strings (ids, methods, paths, most header values) are copied here: a call into
    // Buffer#write costs more than the copy.
    let i = 0;
    if (n <= 64) {
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) break;
        b[start + i] = c;
      }
    }
    const bytes = i === n ? n : i + b.write(value.slice(i), start + i, 'utf8');
    b.writeUInt32LE(bytes, this.pos);
    this.pos = start + bytes;
    return this;
  }

  /** Reserves a u32 to be filled in later (`patchU32`); returns its place. */
  reserveU32(): number {
    const at = this.pos;
    this.u32(0);
    return at;
  }

  patchU32(at: number, value: number): void {
    if (!this.overflow) this.scratch.writeUInt32LE(value >>> 0, at);
  }

  /** Room left in the scratch buffer for strings (a caller capping headers checks it). */
  get room(): number {
    return SCRATCH_BYTES - this.pos;
  }

  /** Puts the record into the ring; false (counted as dropped) when it does not fit. */
  commit(): boolean {
    const { control, data, mask } = this.v;
    const len = this.pos;
    const total = (len + 3) & ~3;
    if (this.overflow || total > this.size >>> 1) return this.drop();
    const w = Atomics.load(control, WRITE) >>> 0;
    const r = Atomics.load(control, READ) >>> 0;
    const offset = w & mask;
    const pad = offset + total > this.size ? this.size - offset : 0;
    const start = (w + pad) >>> 0;
    if ((start + total - r) >>> 0 > this.size) return this.drop();
    if (pad > 0) data.writeInt32LE(PADDING, offset);
    this.scratch.writeUInt32LE(len, 0);
    this.scratch.writeUInt32LE(this.lost >>> 0, 5);
    this.scratch.copy(data, start & mask, 0, len);
    Atomics.store(control, WRITE, (start + total) | 0);
    this.wake();
    return true;
  }

  private drop(): boolean {
    this.lost++;
    Atomics.store(this.v.control, DROPPED, this.lost | 0);
    this.wake();
    return false;
  }

  /** Wakes the worker only if it sleeps: under load it never does, and no notify is paid per record. */
  private wake(): void {
    const { control } = this.v;
    if (Atomics.load(control, SLEEPING) === 0) return;
    Atomics.store(control, SLEEPING, 0);
    Atomics.notify(control, WRITE);
  }
}
