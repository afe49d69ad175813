const TWO_32 = 0x1_0000_0000;

/**
 * Big-endian Kafka primitives written into one growing Buffer. Byte stores go straight into the array
 * (a Uint8Array store keeps the low 8 bits), so a record costs no intermediate Buffers.
 */
export class Writer {
  buf: Buffer;
  pos = 0;

  /** `alloc`: where the first buffer comes from (a caller reusing its buffers); growing allocates anew. */
  constructor(capacity = 1024, alloc: (size: number) => Buffer = Buffer.allocUnsafe) {
    this.buf = alloc(capacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  int16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  int32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  /** An int64 from a safe integer (timestamps, -1). */
  int64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.int32(hi);
    this.int32(v - hi * TWO_32);
  }

  /** Overwrites an int32 at `at` (a length or CRC known only after what follows it was written). */
  int32At(at: number, v: number): void {
    const b = this.buf;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
  }

  /** Unsigned LEB128 of a non-negative value below 2^53. */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = v < 0x1_0000_0000 ? v >>> 7 : Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zigzag varint/varlong (Kafka's record fields) of a safe integer. */
  varint(v: number): void {
    this.uvarint(zigzag(v));
  }

  /** INT16 length + UTF-8, or -1 for null. */
  string(s: string | null): void {
    if (s === null) {
      this.int16(-1);
      return;
    }
    const n = Buffer.byteLength(s);
    this.int16(n);
    this.utf8(s, n);
  }

  /** INT32 length + bytes, or -1 for null. */
  bytesField(data: Uint8Array | null): void {
    if (data === null) {
      this.int32(-1);
      return;
    }
    this.int32(data.length);
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** UTF-8 text with no length prefix; `n` is its byte length, known by the caller. */
  utf8(s: string, n: number): void {
    this.ensure(n);
    // Without the length argument: Buffer#write checks one argument fewer (a third cheaper for a key),
    // and with room for `n` bytes made above, all of the text is written.
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes `uvarint(v)` takes. */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Bytes `varint(v)` takes. */
export function varintSize(v: number): number {
  return uvarintSize(zigzag(v));
}
