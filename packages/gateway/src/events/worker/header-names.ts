import type { SensitiveNames } from '@switchyard/shared';

/** The value of a header so named is redacted. */
export const HIDDEN = 1;
/**
 * An object would not keep the name in insertion order (an array index goes first), not keep it at all
 * (`__proto__`), or could hold it twice (lone surrogates all became U+FFFD in the record, so two names may
 * now be one, which an object merges): a record with one is written through the object form instead.
 */
export const UNORDERED = 2;

/** Distinct names remembered (a client sending endless new names only makes the later ones slower). */
const MAX_NAMES = 512;
/** Longest name remembered, in bytes. */
const MAX_NAME_BYTES = 128;
/** Open addressing, at most half full. */
const SLOTS = 2 * MAX_NAMES;

function flagsOf(name: string, hide: SensitiveNames): number {
  const c = name.charCodeAt(0);
  const unordered = (c >= 0x30 && c <= 0x39) || name === '__proto__' || name.includes('\uFFFD');
  return (hide.has(name.toLowerCase()) ? HIDDEN : 0) | (unordered ? UNORDERED : 0);
}

/**
 * What an event needs of each request header name, looked up by the name's UTF-8 bytes in the record: a
 * request carries the same few names again and again, and asking by bytes makes no string per header (the
 * name's JSON is copied from the record too). One table per policy: `hide` is fixed.
 */
export class HeaderNames {
  private readonly hashes = new Int32Array(SLOTS);
  /** Where each slot's name lies in `keys` (start, length); length 0: the slot is free. */
  private readonly at = new Int32Array(2 * SLOTS);
  private readonly flags = new Uint8Array(SLOTS);
  private readonly keys = Buffer.allocUnsafe(MAX_NAMES * MAX_NAME_BYTES);
  private used = 0;
  private count = 0;

  constructor(private readonly hide: SensitiveNames) {}

  /** HIDDEN and UNORDERED of the name in `b` from `start` to `end`. */
  of(b: Buffer, start: number, end: number): number {
    const n = end - start;
    // FNV-1a.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
    const keys = this.keys;
    for (let slot = (h >>> 0) % SLOTS; ; slot = (slot + 1) % SLOTS) {
      const len = this.at[2 * slot + 1] as number;
      if (len === 0) break;
      if (this.hashes[slot] !== h || len !== n) continue;
      const k = this.at[2 * slot] as number;
      let i = 0;
      while (i < n && keys[k + i] === b[start + i]) i++;
      if (i === n) return this.flags[slot] as number;
    }
    const flags = flagsOf(b.toString('utf8', start, end), this.hide);
    if (this.count < MAX_NAMES && n > 0 && n <= MAX_NAME_BYTES) this.remember(h, b, start, end, flags);
    return flags;
  }

  private remember(h: number, b: Buffer, start: number, end: number, flags: number): void {
    let slot = (h >>> 0) % SLOTS;
    while ((this.at[2 * slot + 1] as number) !== 0) slot = (slot + 1) % SLOTS;
    this.hashes[slot] = h;
    this.at[2 * slot] = this.used;
    this.at[2 * slot + 1] = end - start;
    this.flags[slot] = flags;
    this.keys.set(b.subarray(start, end), this.used);
    this.used += end - start;
    this.count++;
  }
}
