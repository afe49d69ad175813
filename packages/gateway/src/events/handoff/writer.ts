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
 * The request thread's side of the hand-off. A record is encoded straight into the ring when the free
 * room after the write position could hold the largest record; otherwise (near the ring's end, or with
 * the ring nearly full) into a preallocated scratch buffer, copied into the ring in one piece if it fits.
 * What does not fit is dropped and counted, and the request goes on: the writer never waits and never
 * allocates per record.
 */
export class HandoffWriter {
  private readonly v: HandoffViews;
  private readonly size: number;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /** DataViews of the ring and the scratch buffer: their number writes are inlined, Buffer's are calls. */
  private readonly ringView: DataView;
  private readonly scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, SCRATCH_BYTES);
  /** Where the record being encoded goes (the ring or the scratch buffer), from `base` to at most `end`. */
  private buf: Buffer;
  private view: DataView;
  private base = 0;
  private end = 0;
  private pos = 0;
  private overflow = false;
  private lost = 0;
  /** The write position: this writer alone moves it. */
  private written: number;
  /**
   * The reader's position when last loaded: it only moves on, so the room it implies is there at least,
   * and it is loaded again only when that room runs short, not per record.
   */
  private read: number;

  constructor(sab: SharedArrayBuffer) {
    this.v = viewsOf(sab);
    this.size = this.v.data.length;
    this.buf = this.scratch;
    this.ringView = new DataView(this.v.data.buffer, this.v.data.byteOffset, this.size);
    this.view = this.scratchView;
    this.written = Atomics.load(this.v.control, WRITE) >>> 0;
    this.read = Atomics.load(this.v.control, READ) >>> 0;
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
    const offset = this.written & this.v.mask;
    if (offset + SCRATCH_BYTES <= this.size && this.fits(this.written + SCRATCH_BYTES)) {
      // The largest record fits here whole: no copy at commit.
      this.buf = this.v.data;
      this.view = this.ringView;
      this.base = offset;
    } else {
      this.buf = this.scratch;
      this.view = this.scratchView;
      this.base = 0;
    }
    this.end = this.base + SCRATCH_BYTES;
    this.buf[this.base + 4] = kind;
    // The drop count goes in at commit (bytes 5-8): a drop between begin and commit is counted before it.
    this.pos = this.base + 4 + RECORD_HEADER;
    return this;
  }

  u8(value: number): this {
    if (this.pos + 1 > this.end) this.overflow = true;
    else this.buf[this.pos++] = value;
    return this;
  }

  u32(value: number): this {
    if (this.pos + 4 > this.end) this.overflow = true;
    else {
      this.put32(value, this.pos);
      this.pos += 4;
    }
    return this;
  }

  i32(value: number): this {
    return this.u32(value | 0);
  }

  f64(value: number): this {
    if (this.pos + 8 > this.end) this.overflow = true;
    else {
      this.view.setFloat64(this.pos, value, true);
      this.pos += 8;
    }
    return this;
  }

  /** A UTF-8 string with its byte length in front. */
  str(value: string): this {
    const n = value.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + 4 + 3 * n > this.end) {
      this.overflow = true;
      return this;
    }
    const b = this.buf;
    const start = this.pos + 4;
    // Short ASCII strings (ids, methods, paths, most header values) are copied here: a call into
    // Buffer#write costs more than the copy.
    let bytes = n;
    if (n <= 64) {
      // Two units a turn; any unit over 0x7f shows in `seen`, and then the string is written again as UTF-8.
      let seen = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const c = value.charCodeAt(i);
        const d = value.charCodeAt(i + 1);
        seen |= c | d;
        b[start + i] = c;
        b[start + i + 1] = d;
      }
      if (i < n) {
        const c = value.charCodeAt(i);
        seen |= c;
        b[start + i] = c;
      }
      if (seen > 0x7f) bytes = b.write(value, start, 'utf8');
    } else bytes = b.write(value, start, 'utf8');
    this.put32(bytes, this.pos);
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
    if (!this.overflow) this.put32(value, at);
  }

  /** Puts the record into the ring; false (counted as dropped) when it does not fit. */
  commit(): boolean {
    const { control, data, mask } = this.v;
    const len = this.pos - this.base;
    const total = (len + 3) & ~3;
    if (this.overflow || total > this.size >>> 1) return this.drop();
    const w = this.written;
    let start = w;
    // A record encoded in the ring had its room checked at begin; one in the scratch buffer has it now.
    if (this.buf === this.scratch) {
      const offset = w & mask;
      const pad = offset + total > this.size ? this.size - offset : 0;
      start = (w + pad) >>> 0;
      if (!this.fits(start + total)) return this.drop();
      if (pad > 0) data.writeInt32LE(PADDING, offset);
    }
    this.put32(len, this.base);
    this.put32(this.lost, this.base + 5);
    if (this.buf === this.scratch) this.scratch.copy(data, start & mask, 0, len);
    this.written = (start + total) >>> 0;
    Atomics.store(control, WRITE, this.written | 0);
    this.wake();
    return true;
  }

  /** Whether the ring has room up to position `end` (the reader's position loaded again if need be). */
  private fits(end: number): boolean {
    if ((end - this.read) >>> 0 <= this.size) return true;
    this.read = Atomics.load(this.v.control, READ) >>> 0;
    return (end - this.read) >>> 0 <= this.size;
  }

  /** A little-endian u32 (mod 2^32) at `at`. */
  private put32(value: number, at: number): void {
    this.view.setUint32(at, value, true);
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
