import { randomFillSync } from 'node:crypto';

// Crockford's base32, as ULID specifies.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The last two characters of an id, by the value of its last two base32 digits. */
const PAIRS = Array.from({ length: 1024 }, (_, v) => `${ALPHABET[v >> 5]}${ALPHABET[v & 31]}`);

let lastTime = -1;
/** The random part (80 bits) of the last id as its 16 base32 digits, incremented in place. */
const digits = new Uint8Array(16);
/** The last id but its last two characters; '' once it must be written again. */
let head = '';
// One call into the CSPRNG per 409 fresh milliseconds: a call per millisecond cost more than the id itself.
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** Fresh random bits: 10 bytes, 5 bits at a time into the 16 digits. */
function drawRandom(): void {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let buffer = 0;
  let bits = 0;
  let d = 0;
  for (let i = poolAt; i < poolAt + 10; i++) {
    buffer = (buffer << 8) | (pool[i] as number);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      digits[d++] = (buffer >> bits) & 31;
    }
    buffer &= (1 << bits) - 1;
  }
  poolAt += 10;
}

function writeHead(): void {
  let time = '';
  for (let i = 0, ms = lastTime; i < 10; i++, ms = Math.floor(ms / 32)) time = ALPHABET[ms % 32] + time;
  let random = '';
  for (let i = 0; i < 14; i++) random += ALPHABET[digits[i] as number];
  head = time + random;
}

/**
 * A monotonic ULID: sortable by creation time, and strictly increasing within one process even when
 * several are made in the same millisecond, so consumers can order and de-duplicate by id. Every request
 * with events on makes one: within a millisecond only the last characters change, so the rest is kept.
 */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    // Same (or earlier, clock stepped back) millisecond: increment the random part instead.
    let i = digits.length - 1;
    for (; i >= 0; i--) {
      const v = (digits[i] as number) + 1;
      digits[i] = v & 31;
      if (v <= 31) break;
    }
    if (i < 14) head = '';
  } else {
    lastTime = now;
    drawRandom();
    head = '';
  }
  if (head === '') writeHead();
  return head + (PAIRS[((digits[14] as number) << 5) | (digits[15] as number)] as string);
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}
