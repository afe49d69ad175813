import { type Compression, compress } from '../compression.js';
import {
  BATCH_HEADER_BYTES,
  encodeRecords,
  estimateRecordsBytes,
  type KafkaRecord,
  type ProducerStamp,
  timestampRange,
  writeRecordBatch,
} from '../record-batch.js';
import type { Reader } from './reader.js';
import { ApiKey, beginRequest, endRequest } from './request.js';
import { Writer } from './writer.js';

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  /** The broker's own words on the error (Produce v8 and later). */
  message: string | null;
}

/** Produce v3..v8 response: per topic, per partition, an error code (offsets and times are not needed). */
export function parseProduceResponse(r: Reader, version: number): PartitionResult[] {
  const results: PartitionResult[] = [];
  const topics = r.int32();
  for (let t = 0; t < topics; t++) {
    const topic = r.string();
    const partitions = r.int32();
    for (let p = 0; p < partitions; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      r.int64(); // base_offset
      r.int64(); // log_append_time_ms
      if (version >= 5) r.int64(); // log_start_offset
      let message: string | null = null;
      if (version >= 8) {
        r.array((e) => [e.int32(), e.nullableString()]); // record_errors
        message = r.nullableString();
      }
      results.push({ topic, partition, errorCode, message });
    }
  }
  // throttle_time_ms: before Produce v6 (KIP-219) a quota-throttled broker delays this answer itself, so the
  // client has nothing to wait out.
  r.int32();
  return results;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
  /** Set on an idempotent producer's batches: the same on every try of the batch. */
  producer?: ProducerStamp | undefined;
}

export interface ProduceOptions {
  clientId: string;
  /** Produce v3..v8: the same request; the answer grows. */
  version: number;
  acks: -1 | 0 | 1;
  timeoutMs: number;
  compression: Compression;
}

/**
 * Produce (v3..v8) for one broker: every partition's RecordBatch written into one Buffer (from `alloc` when
 * given, at least as large as the estimate). Compressed sections are made first (gzip off the event loop,
 * all partitions at once), then the frame in one pass.
 */
export async function produceRequest(
  batches: readonly PartitionBatch[],
  options: ProduceOptions,
  alloc?: (size: number) => Buffer,
): Promise<Buffer> {
  const now = Date.now();
  // Batch indexes per topic: a topic appears once in the request.
  const byTopic = new Map<string, number[]>();
  for (const [i, batch] of batches.entries()) {
    const list = byTopic.get(batch.topic);
    if (list) list.push(i);
    else byTopic.set(batch.topic, [i]);
  }
  const timestamps = batches.map((b) => timestampRange(b.records, now));
  const compressed: (Buffer | undefined)[] =
    options.compression === 'none'
      ? []
      : await Promise.all(
          batches.map((b, i) =>
            compress(
              options.compression,
              encodeRecords(b.records, (timestamps[i] as [number, number])[0], now),
            ),
          ),
        );
  let size = 64;
  for (const [i, b] of batches.entries()) {
    const records = compressed[i]?.length ?? estimateRecordsBytes(b.records);
    size += 16 + b.topic.length * 3 + BATCH_HEADER_BYTES + records;
  }
  const w = new Writer(size + options.clientId.length * 3, alloc);
  beginRequest(w, ApiKey.Produce, options.version, options.clientId);
  w.string(null); // transactional_id
  w.int16(options.acks);
  w.int32(options.timeoutMs);
  w.int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.string(topic);
    w.int32(list.length);
    for (const i of list) {
      const batch = batches[i] as PartitionBatch;
      w.int32(batch.partition);
      const lengthAt = w.pos;
      w.int32(0);
      writeRecordBatch(w, batch.records, {
        compression: options.compression,
        compressed: compressed[i],
        timestamps: timestamps[i],
        now,
        producer: batch.producer,
      });
      w.int32At(lengthAt, w.pos - lengthAt - 4);
    }
  }
  return endRequest(w);
}
