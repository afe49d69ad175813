import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/crc32c.js';
import { Reader } from '../src/protocol/reader.js';
import { Writer } from '../src/protocol/writer.js';
import { encodeRecordBatch, type KafkaRecord, RecordHeaders } from '../src/record-batch.js';
import { registerCodecs } from './support/cli-codecs.js';

registerCodecs();

// kafkajs' RecordBatch v2 decoder, the one its consumer runs on every fetched batch.
const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
  records: {
    key: Buffer | null;
    value: Buffer | null;
    timestamp: string;
    offset: string;
    headers: Record<string, Buffer | Buffer[]>;
  }[];
}>;

const NOW = 1_700_000_000_123;

function sampleRecords(): KafkaRecord[] {
  const shared = new RecordHeaders({ event_type: 'request' });
  const records: KafkaRecord[] = [];
  for (let i = 0; i < 300; i++) {
    records.push({
      key: i % 3 === 0 ? `01JD${String(i).padStart(22, '0')}` : Buffer.from([i & 0xff, 0, 0xff]),
      value: Buffer.from(JSON.stringify({ i, text: 'ü🙂'.repeat(i % 50), pad: 'x'.repeat(i * 7) })),
      headers: i % 5 === 4 ? new RecordHeaders({ a: 'b', bin: Buffer.from([1, 2, 3]), empty: '' }) : shared,
    });
  }
  records.push({ key: null, value: null });
  records.push({ key: '', value: Buffer.alloc(0), timestamp: NOW - 5000 });
  records.push({ key: 'late', value: Buffer.from('v'), timestamp: NOW + 70_000 });
  return records;
}

describe('RecordBatch v2 encoding', () => {
  // zstd: codecs.test.ts (it depends on the Node.js version).
  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`is read back by kafkajs' decoder with keys, values, headers and timestamps (${compression})`, async () => {
      const records = sampleRecords();
      const batch = await encodeRecordBatch(records, compression, NOW);

      // Header fields as a broker checks them: length, magic, CRC-32C over attributes..end, codec bits.
      const r = new Reader(batch);
      expect(r.int64()).toBe(0);
      expect(r.int32()).toBe(batch.length - 12);
      expect(r.int32()).toBe(-1);
      expect(r.int8()).toBe(2);
      expect(r.int32() >>> 0).toBe(crc32c(batch, 21));
      expect(r.int16()).toBe({ none: 0, gzip: 1, snappy: 2, lz4: 3 }[compression]);

      const decoded = await decodeBatch(new Decoder(batch));
      expect(decoded.firstOffset).toBe('0');
      expect(decoded.lastOffsetDelta).toBe(records.length - 1);
      expect(decoded.firstTimestamp).toBe(String(NOW - 5000));
      expect(decoded.maxTimestamp).toBe(String(NOW + 70_000));
      expect([decoded.producerId, decoded.producerEpoch, decoded.firstSequence]).toEqual(['-1', -1, -1]);
      expect(decoded.records).toHaveLength(records.length);
      decoded.records.forEach((got, i) => {
        const sent = records[i] as KafkaRecord;
        const key = typeof sent.key === 'string' ? Buffer.from(sent.key) : sent.key;
        expect(got.offset).toBe(String(i));
        expect(got.key).toEqual(key);
        expect(got.value).toEqual(sent.value);
        expect(got.timestamp).toBe(String(sent.timestamp ?? NOW));
        const headers = Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, String(v)]));
        if (sent.headers === undefined) expect(headers).toEqual({});
        else if (i % 5 === 4) expect(headers).toEqual({ a: 'b', bin: '\x01\x02\x03', empty: '' });
        else expect(headers).toEqual({ event_type: 'request' });
      });
    });
  }

  it('encodes varints and zigzag as the protocol does, and reads them back', () => {
    const values = [0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), 2 ** 52];
    const w = new Writer(4);
    for (const v of values) w.varint(v);
    const r = new Reader(w.bytes());
    for (const v of values) expect(r.varint()).toBe(v);
    expect(r.remaining()).toBe(0);
    const one = new Writer();
    one.varint(-1);
    one.varint(150);
    expect([...one.bytes()]).toEqual([0x01, 0xac, 0x02]);
  });
});
