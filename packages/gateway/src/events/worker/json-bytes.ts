/**
 * JSON text written as UTF-8 bytes into one reused buffer, then copied out once per event: no string is
 * made for a value the record already holds as UTF-8 that JSON writes as it is (most of them), and none of
 * the pieces becomes garbage. A string that needs escaping is escaped by JSON.stringify.
 */
export class JsonBytes {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** Where the writing stands, to go `back` to. */
  mark(): number {
    return this.pos;
  }

  /** Takes back what was written after `mark`. */
  back(mark: number): void {
    this.pos = mark;
  }

  /** The bytes written since `reset`, in a buffer of their own. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  /** ASCII text written as it is (keys, punctuation, numbers, ids). */
  ascii(s: string): this {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  /** A number as JSON.stringify writes it (NaN and the infinities become null). */
  num(n: number): this {
    return this.ascii(Number.isFinite(n) ? `${n}` : 'null');
  }

  /** A string value, quoted and escaped. */
  str(s: string): this {
    return this.text(JSON.stringify(s));
  }

  /** Text (JSON already) written as UTF-8. */
  text(json: string): this {
    const n = json.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(3 * n);
    const b = this.buf;
    let p = this.pos;
    let i = 0;
    for (; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c > 0x7f) break;
      b[p++] = c;
    }
    if (i < n) p += b.write(json.slice(i), p, 'utf8');
    this.pos = p;
    return this;
  }

  /**
   * A string value held as UTF-8 in `src` (a hand-off record, which holds well-formed UTF-8): copied
   * quoted as it is unless JSON must escape one of its bytes, then decoded and written by `str`. Returns
   * its length in UTF-16 units (what the object form's size caps count).
   */
  utf8(src: Buffer, start: number, end: number): number {
    let ascii = true;
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c < 0x20 || c === 0x22 || c === 0x5c) {
        const s = src.toString('utf8', start, end);
        this.str(s);
        return s.length;
      }
      if (c > 0x7f) ascii = false;
    }
    const n = end - start;
    this.room(n + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    if (n <= 32) for (let i = start; i < end; i++) b[p++] = src[i] as number;
    else p += src.copy(b, p, start, end);
    b[p++] = 0x22;
    this.pos = p;
    return ascii ? n : src.toString('utf8', start, end).length;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
