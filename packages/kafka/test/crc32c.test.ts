import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/crc32c.js';
import { randomBytes } from './support/random-bytes.js';

// kafkajs' own CRC-32C (a table-per-byte reference the native one must agree with).
const kafkajsCrc32C = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C') as (
  buffer: Buffer,
) => number;

describe('crc32c', () => {
  it('gives the check value of CRC-32C and the RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
  });

  it('agrees with kafkajs on random buffers of every length up to 600 bytes and on large ones', () => {
    for (let length = 0; length <= 600; length++) {
      const data = randomBytes(length + 1, length);
      expect(crc32c(data), `length ${length}`).toBe(kafkajsCrc32C(data));
    }
    for (const length of [4096, 65_537, 1_000_003]) {
      const data = randomBytes(length, length);
      expect(crc32c(data), `length ${length}`).toBe(kafkajsCrc32C(data));
    }
  });

  it('covers exactly [start, end) of a larger buffer', () => {
    const data = randomBytes(99, 1000);
    for (const [start, end] of [
      [0, 1000],
      [1, 999],
      [7, 8],
      [13, 500],
      [500, 500],
    ] as const) {
      expect(crc32c(data, start, end)).toBe(kafkajsCrc32C(data.subarray(start, end)));
    }
    // Views at every alignment of the ArrayBuffer.
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 3, 8, 17, 64, 333]) {
        const view = data.subarray(offset, offset + length);
        expect(crc32c(view), `offset ${offset}, length ${length}`).toBe(kafkajsCrc32C(view));
      }
    }
  });
});
