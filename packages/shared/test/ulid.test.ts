import { ulid, ulidTime } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

describe('ulid', () => {
  it('is 26 Crockford base32 characters carrying its time', () => {
    const id = ulid(1_695_000_000_123);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(ulidTime(id)).toBe(1_695_000_000_123);
  });

  it('increases strictly within one millisecond and across a clock step back', () => {
    const ids = Array.from({ length: 10_000 }, () => ulid(1_700_000_000_000));
    ids.push(ulid(1_600_000_000_000));
    const sorted = [...ids].sort();
    expect(ids).toEqual(sorted);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('within one millisecond adds one to the random part, carries included', () => {
    const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const random = (id: string) =>
      [...id.slice(10)].reduce((n, ch) => n * 32n + BigInt(ALPHABET.indexOf(ch)), 0n);
    // Past 1,024 ids the carry reaches the characters an id keeps from the one before.
    const ids = Array.from({ length: 3000 }, () => ulid(1_750_000_000_000));
    for (let i = 1; i < ids.length; i++) {
      expect(random(ids[i] as string) - random(ids[i - 1] as string)).toBe(1n);
      expect(ulidTime(ids[i] as string)).toBe(1_750_000_000_000);
    }
  });

  it('draws fresh random bits for each new millisecond, past the end of its random pool', () => {
    // 1,000 milliseconds take 10,000 random bytes: the 4 KiB pool is refilled twice on the way.
    const start = 1_800_000_000_000;
    const ids = Array.from({ length: 1000 }, (_, i) => ulid(start + i));
    const randomParts = new Set(ids.map((id) => id.slice(10)));
    expect(randomParts.size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(ulidTime(ids[999] as string)).toBe(start + 999);
  });
});
