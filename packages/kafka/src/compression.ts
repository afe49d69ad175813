import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { compressFrame } from 'lz4-napi';
import { compress as snappyCompress } from 'snappyjs';
import { KafkaClientError } from './errors.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** The codec bits (0-2) of a RecordBatch's attributes. */
export const CODEC: Readonly<Record<Compression, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** Brokers take zstd batches from Produce v7 on (KIP-110, Kafka 2.1). */
export const ZSTD_MIN_PRODUCE_VERSION = 7;

const gzip = promisify(zlib.gzip);

type Codec = (data: Buffer, callback: (err: Error | null, out: Buffer) => void) => void;
// zlib's zstd arrived in Node.js 22.15 / 23.8; the @types/node this builds against (Node 20) does not know it.
const zstdCompress = (zlib as unknown as { zstdCompress?: Codec }).zstdCompress;
const zstd = zstdCompress && promisify(zstdCompress);

/** Throws, naming the runtime, when this Node.js cannot produce `codec` (zstd before Node.js 22.15). */
export function checkCodec(codec: Compression): void {
  if (codec === 'zstd' && !zstd) {
    throw new KafkaClientError(
      `zstd compression needs Node.js 22.15 or newer (zlib's zstd); this is Node.js ${process.versions.node}`,
      false,
    );
  }
}

/**
 * Compresses a batch's records section. gzip, lz4 and zstd run on libuv's thread pool (off the event loop);
 * snappy is cheap enough to run inline. Snappy output is one raw Snappy block, as kafkajs-snappy writes it:
 * brokers (snappy-java's SnappyInputStream falls back to raw blocks), librdkafka and kafkajs read both that
 * and the xerial-framed form the Java producer writes. lz4 is the LZ4 frame format (independent 64 KiB blocks,
 * no checksums beyond the header's), which Kafka has read since 0.10 (KIP-57).
 */
export function compress(codec: Compression, data: Buffer): Buffer | Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzip(data);
    case 'snappy':
      return snappyCompress(data);
    case 'lz4':
      return compressFrame(data);
    case 'zstd':
      checkCodec(codec);
      return (zstd as (data: Buffer) => Promise<Buffer>)(data);
  }
}
