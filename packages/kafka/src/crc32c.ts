import { endianness } from 'node:os';

// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Reflected polynomial 0x82F63B78.
const POLY = 0x82f63b78;

/**
 * Slicing-by-8 tables: T[k*256 + n] is the CRC of byte n followed by k zero bytes, so the loop folds eight
 * input bytes with eight lookups instead of eight dependent shift-and-xor steps.
 */
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n] as number;
  for (let k = 1; k < 8; k++) {
    c = (T[c & 0xff] as number) ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

// Eight bytes are read as two 32-bit words (a third fewer loads than byte reads), which needs the
// platform's byte order to match the reflected CRC's: little-endian, as x86 and ARM run.
const LITTLE_ENDIAN = endianness() === 'LE';

/** CRC-32C of `data[start, end)` as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const t = T;
  const b = data;
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN) {
    // Bytes up to a 4-byte boundary, so the words can be an Int32Array view.
    while (i < end && ((b.byteOffset + i) & 3) !== 0)
      crc = (t[(crc ^ (b[i++] as number)) & 0xff] as number) ^ (crc >>> 8);
    const words = ((end - i) >>> 3) * 2;
    if (words > 0) {
      const v = new Int32Array(b.buffer, b.byteOffset + i, words);
      for (let k = 0; k < words; k += 2) {
        const lo = crc ^ (v[k] as number);
        const hi = v[k + 1] as number;
        crc =
          (t[1792 + (lo & 0xff)] as number) ^
          (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
          (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
          (t[1024 + (lo >>> 24)] as number) ^
          (t[768 + (hi & 0xff)] as number) ^
          (t[512 + ((hi >>> 8) & 0xff)] as number) ^
          (t[256 + ((hi >>> 16) & 0xff)] as number) ^
          (t[hi >>> 24] as number);
      }
      i += words * 4;
    }
  } else {
    const end8 = end - ((end - start) & 7);
    while (i < end8) {
      const lo =
        crc ^
        ((b[i] as number) |
          ((b[i + 1] as number) << 8) |
          ((b[i + 2] as number) << 16) |
          ((b[i + 3] as number) << 24));
      crc =
        (t[1792 + (lo & 0xff)] as number) ^
        (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
        (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
        (t[1024 + (lo >>> 24)] as number) ^
        (t[768 + (b[i + 4] as number)] as number) ^
        (t[512 + (b[i + 5] as number)] as number) ^
        (t[256 + (b[i + 6] as number)] as number) ^
        (t[b[i + 7] as number] as number);
      i += 8;
    }
  }
  while (i < end) crc = (t[(crc ^ (b[i++] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
