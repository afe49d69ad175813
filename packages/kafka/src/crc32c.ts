import { crc32c as native } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli) of `data[start, end)`, the checksum of Kafka's RecordBatch v2, as an unsigned 32-bit
 * integer. Native (SSE4.2 / ARMv8 CRC instructions, as lz4-napi is native): a batch is summed at under 1 ns
 * a byte, where the table-driven JavaScript one took over 4 ns, about 3 µs per 1 KiB event on the send path.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return native(start === 0 && end === data.length ? data : data.subarray(start, end));
}
