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
});
