import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';

export type Compression = 'none' | 'gzip' | 'snappy';

/** The codec bits (0-2) of a RecordBatch's attributes. */
export const CODEC: Readonly<Record<Compression, number>> = { none: 0, gzip: 1, snappy: 2 };

const gzip = promisify(gzipCallback);

/**
 * Compresses a batch's records section. gzip runs on libuv's thread pool (off the event loop); snappy is
 * cheap enough to run inline. Snappy output is one raw Snappy block, as kafkajs-snappy writes it: brokers
 * (snappy-java's SnappyInputStream falls back to raw blocks), librdkafka and kafkajs read both that and the
 * xerial-framed form the Java producer writes.
 */
export function compress(codec: Compression, data: Buffer): Buffer | Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzip(data);
    case 'snappy':
      return snappyCompress(data);
  }
}
