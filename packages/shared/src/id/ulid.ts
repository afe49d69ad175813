import { randomFillSync } from 'node:crypto';

// Crockford's base32, as ULID specifies.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
const lastRandom = new Uint8Array(10);
// One call into the CSPRNG per 409 fresh milliseconds: a call per millisecond cost more than the id itself.
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function fillRandom(into: Uint8Array): void {
  if (poolAt + into.length > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  into.set(pool.subarray(poolAt, poolAt + into.length));
  poolAt += into.length;
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters, 5 bits at a time.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/**
 * A monotonic ULID: sortable by creation time, and strictly increasing within one process even when
 * several are made in the same millisecond, so consumers can order and de-duplicate by id.
 */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    // Same (or earlier, clock stepped back) millisecond: increment the random part instead.
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      const v = (lastRandom[i] ?? 0) + 1;
      lastRandom[i] = v & 0xff;
      if (v <= 0xff) break;
    }
  } else {
    lastTime = now;
    fillRandom(lastRandom);
  }
  return encodeTime(lastTime) + encodeRandom(lastRandom);
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}
