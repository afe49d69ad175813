import { CODEC, type Compression, compress } from './compression.js';
import { crc32c } from './crc32c.js';
import { varintSize, Writer } from './protocol/writer.js';

/** Bytes of a v2 RecordBatch before its records: baseOffset .. recordCount. */
export const BATCH_HEADER_BYTES = 61;

/**
 * A record's headers, encoded once (count + entries, as they sit in a record). Share one instance across
 * records with the same headers: each record then costs a copy of these bytes instead of an encoding.
 */
export class RecordHeaders {
  readonly encoded: Buffer;

  constructor(headers: Readonly<Record<string, string | Buffer | null>>) {
    const w = new Writer(64);
    const names = Object.keys(headers);
    w.varint(names.length);
    const text = (s: string) => {
      const n = Buffer.byteLength(s);
      w.varint(n);
      w.utf8(s, n);
    };
    for (const name of names) {
      text(name);
      const value = headers[name];
      if (value === null || value === undefined) w.varint(-1);
      else if (typeof value === 'string') text(value);
      else {
        w.varint(value.length);
        w.raw(value);
      }
    }
    this.encoded = Buffer.from(w.bytes());
  }
}

export interface KafkaRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders | undefined;
  /** Create time in ms; default: when the batch is encoded. */
  timestamp?: number | undefined;
}

const EMPTY_HEADERS = 0; // zigzag(0): a record without headers ends with one 0 byte.
const SMALL_COPY = 32;

function keyLength(key: string | Buffer | null): number {
  if (key === null) return -1;
  return typeof key === 'string' ? Buffer.byteLength(key) : key.length;
}

/**
 * Writes each record (length-prefixed, deltas against `baseTimestamp` and offset 0) into `w`; records
 * without a timestamp take `now`.
 */
export function writeRecords(
  w: Writer,
  records: readonly KafkaRecord[],
  baseTimestamp: number,
  now = baseTimestamp,
): void {
  const undated = now - baseTimestamp;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as KafkaRecord;
    const tsDelta = r.timestamp === undefined ? undated : r.timestamp - baseTimestamp;
    const key = r.key;
    const keyLen = keyLength(key);
    const value = r.value;
    const valueLen = value === null ? -1 : value.length;
    const headers = r.headers?.encoded;
    const body =
      1 +
      varintSize(tsDelta) +
      varintSize(i) +
      varintSize(keyLen) +
      Math.max(keyLen, 0) +
      varintSize(valueLen) +
      Math.max(valueLen, 0) +
      (headers === undefined ? 1 : headers.length);
    w.ensure(body + 5);
    w.varint(body);
    w.int8(0);
    w.varint(tsDelta);
    w.varint(i);
    w.varint(keyLen);
    if (keyLen > 0) {
      if (typeof key === 'string') w.utf8(key, keyLen);
      else w.raw(key as Buffer);
    }
    w.varint(valueLen);
    if (valueLen > 0) w.raw(value as Buffer);
    if (headers === undefined) w.int8(EMPTY_HEADERS);
    else if (headers.length <= SMALL_COPY) {
      // Byte stores: TypedArray#set costs more than the copy for a header or two.
      const buf = w.buf;
      let p = w.pos;
      for (let j = 0; j < headers.length; j++) buf[p++] = headers[j] as number;
      w.pos = p;
    } else w.raw(headers);
  }
}

/** First and max create time of `records`, records without one taking `now`. */
export function timestampRange(records: readonly KafkaRecord[], now: number): [first: number, max: number] {
  let first = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let dated = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as KafkaRecord;
    const t = r.timestamp ?? now;
    if (r.timestamp !== undefined) dated = true;
    if (t < first) first = t;
    if (t > max) max = t;
  }
  return dated ? [first, max] : [now, now];
}

/** The records section alone (what a codec compresses), as its own Buffer. */
export function encodeRecords(
  records: readonly KafkaRecord[],
  baseTimestamp: number,
  now = baseTimestamp,
): Buffer {
  const w = new Writer(estimateRecordsBytes(records));
  writeRecords(w, records, baseTimestamp, now);
  return w.bytes();
}

/** A close upper estimate of the records section's size, so a Writer rarely has to grow. */
export function estimateRecordsBytes(records: readonly KafkaRecord[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as KafkaRecord;
    n += 24 + (r.value?.length ?? 0) + (r.headers?.encoded.length ?? 1);
    const key = r.key;
    if (key !== null) n += typeof key === 'string' ? key.length * 3 : key.length;
  }
  return n;
}

export interface BatchOptions {
  compression: Compression;
  /** For a compressed batch: the compressed records section (`compress(encodeRecords(...))`). */
  compressed?: Buffer | undefined;
  /** The encoding time, for records without a timestamp. */
  now: number;
  /** From `timestampRange`; taken again when absent. */
  timestamps?: readonly [first: number, max: number] | undefined;
  /** An idempotent producer's id, epoch and the batch's first sequence number; none when absent. */
  producer?: ProducerStamp | undefined;
}

/** What makes a batch idempotent: the broker drops a batch whose sequence numbers it already stored. */
export interface ProducerStamp {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/**
 * Writes one v2 ("magic 2") RecordBatch for one partition into `w`: baseOffset 0, the producer id/epoch/
 * base sequence of `options.producer` (or -1s: not idempotent), CRC-32C over attributes..end. Records go straight into `w`, or the already
 * compressed section when `compression` is not none.
 */
export function writeRecordBatch(w: Writer, records: readonly KafkaRecord[], options: BatchOptions): void {
  const [first, max] = options.timestamps ?? timestampRange(records, options.now);
  w.ensure(BATCH_HEADER_BYTES);
  w.int64(0); // baseOffset: the broker assigns offsets
  const lengthAt = w.pos;
  w.int32(0);
  w.int32(-1); // partitionLeaderEpoch
  w.int8(2); // magic
  const crcAt = w.pos;
  w.int32(0);
  const crcFrom = w.pos;
  w.int16(CODEC[options.compression]); // attributes: codec, create time, not transactional, not control
  w.int32(records.length - 1); // lastOffsetDelta
  w.int64(first);
  w.int64(max);
  const producer = options.producer;
  w.int64(producer?.producerId ?? -1);
  w.int16(producer?.producerEpoch ?? -1);
  w.int32(producer?.baseSequence ?? -1);
  w.int32(records.length);
  if (options.compression === 'none') writeRecords(w, records, first, options.now);
  else {
    if (!options.compressed)
      throw new Error(`writeRecordBatch: ${options.compression} needs the compressed records`);
    w.raw(options.compressed);
  }
  w.int32At(lengthAt, w.pos - lengthAt - 4);
  w.int32At(crcAt, crc32c(w.buf, crcFrom, w.pos));
}

/** One partition's RecordBatch as its own Buffer (tests, tools); producers write batches into requests. */
export async function encodeRecordBatch(
  records: readonly KafkaRecord[],
  compression: Compression,
  now = Date.now(),
): Promise<Buffer> {
  const timestamps = timestampRange(records, now);
  const compressed =
    compression === 'none'
      ? undefined
      : await compress(compression, encodeRecords(records, timestamps[0], now));
  const w = new Writer(BATCH_HEADER_BYTES + (compressed?.length ?? estimateRecordsBytes(records)));
  writeRecordBatch(w, records, { compression, compressed, timestamps, now });
  return w.bytes();
}
