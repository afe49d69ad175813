/**
 * Bytes of a slab: room for a few dozen events of the usual size. Small, as an event kept long on its own
 * keeps its whole slab alive; 64 KiB measured no faster.
 */
const SLAB_BYTES = 16 * 1024;

/**
 * JSON text written as UTF-8 bytes, one event after another into a slab, each event handed out as a view
 * of its bytes (no copy per event): no string is made for a value the record already holds as UTF-8 that
 * JSON writes as it is (most of them), and none of the pieces becomes garbage. A slab is never written
 * again below the end of the last event taken from it: once full it is left to the views that hold it
 * (the garbage collector frees it with the last) and the writing goes on in a new one. A string that
 * needs escaping is escaped by JSON.stringify.
 */
export class JsonBytes {
  private buf: Buffer;
  /** Where the event being written begins: the end of the last one taken. */
  private start = 0;
  private pos = 0;

  constructor(private readonly slabBytes = SLAB_BYTES) {
    this.buf = Buffer.allocUnsafe(slabBytes);
  }

  /** Begins the next event, dropping what was written since the last `take`. */
  reset(): this {
    this.pos = this.start;
    return this;
  }

  /** Where the writing stands in the event, to go `back` to. */
  mark(): number {
    return this.pos - this.start;
  }

  /** Takes back what was written after `mark`. */
  back(mark: number): void {
    this.pos = this.start + mark;
  }

  /**
   * The event's bytes written since `reset`, as a view that stays valid for good: nothing is ever
   * written over them. Shared with whoever keeps the event: never write to it.
   */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
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

  /** Bytes written as they are (constant parts encoded once). */
  bytes(src: Uint8Array): this {
    const n = src.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = src[i] as number;
    this.pos = p;
    return this;
  }

  /** A number as JSON.stringify writes it (NaN and the infinities become null). */
  num(n: number): this {
    // Counts, sizes, statuses and timestamps (to 2038): digits written without a string made for them.
    if ((n | 0) === n && n >= 0) return this.digits(n);
    return this.ascii(Number.isFinite(n) ? `${n}` : 'null');
  }

  /** A string value, quoted and escaped. */
  str(s: string): this {
    const n = s.length;
    this.room(n + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Printable ASCII but the quote and the backslash is written as it is; anything else as JSON does.
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return this.text(JSON.stringify(s));
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
    return this;
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
    const n = end - start;
    this.room(n + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    // UTF-16 units: one per character, two for one of four bytes (a surrogate pair).
    let continuations = 0;
    let pairs = 0;
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c < 0x20 || c === 0x22 || c === 0x5c) {
        const s = src.toString('utf8', start, end);
        this.str(s);
        return s.length;
      }
      if (c >= 0x80) {
        if (c < 0xc0) continuations++;
        else if (c >= 0xf0) pairs++;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
    return n - continuations + pairs;
  }

  /** A non-negative int32's decimal digits. */
  private digits(n: number): this {
    let len = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) len++;
    this.room(len);
    const b = this.buf;
    let p = this.pos + len;
    this.pos = p;
    do {
      const q = (n / 10) | 0;
      b[--p] = 0x30 + n - 10 * q;
      n = q;
    } while (n > 0);
    return this;
  }

  /**
   * Makes room for `n` more bytes: past the slab's end, the event so far moves to a new slab (twice its
   * size when the event outgrew half a slab), and the old one is left to the events taken from it.
   */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const written = this.pos - this.start;
    const slab = Buffer.allocUnsafe(Math.max(this.slabBytes, 2 * (written + n)));
    this.buf.copy(slab, 0, this.start, this.pos);
    this.buf = slab;
    this.start = 0;
    this.pos = written;
  }
}
