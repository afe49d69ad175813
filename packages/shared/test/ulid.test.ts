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
