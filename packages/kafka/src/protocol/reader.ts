import { KafkaProtocolError } from '../errors.js';

const TWO_32 = 0x1_0000_0000;

/** Big-endian Kafka primitives read from one response; reading past the end is a protocol error. */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
  ) {
    this.pos = pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      throw new KafkaProtocolError(`response truncated: need ${n} bytes at ${at} of ${this.buf.length}`);
    }
    this.pos = at + n;
    return at;
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  /** An int64 as a number (exact up to 2^53, enough for offsets and timestamps). */
  int64(): number {
    const at = this.need(8);
    return this.buf.readInt32BE(at) * TWO_32 + this.buf.readUInt32BE(at + 4);
  }

  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.need(1)] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new KafkaProtocolError('varint longer than 10 bytes');
  }

  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new KafkaProtocolError('null where a string is required');
    return s;
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** An INT32-counted array; a null array (-1) reads as empty. */
  array<T>(item: (r: Reader) => T): T[] {
    const n = this.int32();
    if (n > this.remaining())
      throw new KafkaProtocolError(`array of ${n} items in ${this.remaining()} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
}
