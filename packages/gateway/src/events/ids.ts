import { randomInt } from 'node:crypto';

// Crockford's base32, as ULID specifies.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const TAG_CHARS = 6;
const SEQ_CHARS = 10;
const ID_LENGTH = TIME_CHARS + TAG_CHARS + SEQ_CHARS;

function encode(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

// The last two characters (10 bits) of the sequence, precomputed: the other eight change every 1024 events.
const LOW_PAIRS = Array.from({ length: 1024 }, (_, i) => encode(i, 2));

function decode(text: string): number | undefined {
  let value = 0;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) return undefined;
    value = value * 32 + digit;
  }
  return value;
}

/**
 * Event ids of one hub: valid, time-ordered ULIDs whose 80 "random" bits are a per-hub tag (30 bits) and
 * the hub's event sequence number (50 bits). A consumer resuming with an id therefore tells the hub exactly
 * where it stopped, even after that event left the ring, so a gap is counted exactly, not estimated.
 */
export class HubIds {
  private readonly tag: string;
  private lastTime: number;
  /** Time and tag characters of the current millisecond. */
  private prefix = '';
  private high = -1;
  private highText = '';

  /**
   * `tag` identifies the hub; an event worker that continues a hub's numbering uses the hub's tag, and
   * `lastTime` (ms) its predecessor's last id time, so the ids it makes again come out the same.
   */
  constructor(
    readonly tagValue: number = randomInt(2 ** 30),
    lastTime = 0,
  ) {
    this.tag = encode(tagValue, TAG_CHARS);
    this.lastTime = lastTime;
  }

  /** The time part (ms) of the last id made. */
  get time(): number {
    return this.lastTime;
  }

  /** The id of event `seq` created at `now` (ms); the time part never goes backwards, so ids stay ordered. */
  make(seq: number, now: number): string {
    if (now > this.lastTime || this.prefix === '') {
      this.lastTime = Math.max(now, this.lastTime);
      this.prefix = encode(this.lastTime, TIME_CHARS) + this.tag;
    }
    const high = Math.floor(seq / 1024);
    if (high !== this.high) {
      this.high = high;
      this.highText = encode(high, SEQ_CHARS - 2);
    }
    return this.prefix + this.highText + (LOW_PAIRS[seq % 1024] as string);
  }

  /** The sequence number inside an id this hub made, or undefined for any other id (another hub, a restart). */
  seqOf(id: string): number | undefined {
    if (id.length !== ID_LENGTH || id.slice(TIME_CHARS, TIME_CHARS + TAG_CHARS) !== this.tag)
      return undefined;
    return decode(id.slice(TIME_CHARS + TAG_CHARS));
  }
}
