import { randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Compression, KafkaClientError, KafkaProtocolError, Producer } from '../src/index.js';
import { readRecords } from './support/kafka-consumer.js';
import { startFakeCluster } from './support/kafka-fake-broker.js';
import { type KafkaMock, startKafkaMock } from './support/kafka-mock.js';
import { failureOf } from './support/wait.js';

// Every codec through librdkafka's mock cluster, read back by kafkajs (lz4 and zstd decoded by the reference
// command-line tools, support/cli-codecs.ts).

const hasZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';
let kafka: KafkaMock;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 1 });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await kafka?.close();
});

function producer(brokers: string[], compression: Compression): Producer {
  const p = new Producer({
    brokers,
    clientId: 'codecs-test',
    requestTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    compression,
  });
  cleanups.push(() => p.close());
  return p;
}

async function roundTrip(compression: Compression): Promise<void> {
  const topic = `codec-${compression}-${randomUUID().slice(0, 8)}`;
  await kafka.createTopic(topic, 2);
  const sent = Array.from({ length: 300 }, (_, i) => ({ n: i, text: `event ${i} `.repeat(1 + (i % 7)) }));
  const p = producer(kafka.brokers, compression);
  for (let i = 0; i < sent.length; i += 100) {
    await p.send(
      sent.slice(i, i + 100).map((v) => ({ topic, key: `k${v.n}`, value: Buffer.from(JSON.stringify(v)) })),
    );
  }
  const read = await readRecords(kafka.bootstrap, [topic], sent.length);
  expect(read.map((r) => r.value).sort((a, b) => (a as { n: number }).n - (b as { n: number }).n)).toEqual(
    sent,
  );
  expect(read.every((r) => r.key === `k${(r.value as { n: number }).n}`)).toBe(true);
}

describe('codecs', () => {
  for (const compression of ['gzip', 'snappy', 'lz4'] as const) {
    it(`${compression}: 300 records through the mock cluster, read back whole`, () => roundTrip(compression));
  }

  it(
    hasZstd
      ? 'zstd: 300 records through the mock cluster, read back whole; a broker before Produce v7 is refused by name'
      : `zstd on Node.js ${process.versions.node}: refused at once, naming the Node.js version it needs`,
    async () => {
      if (!hasZstd) {
        expect(() => producer(kafka.brokers, 'zstd')).toThrow(KafkaClientError);
        expect(() => producer(kafka.brokers, 'zstd')).toThrow(
          `zstd compression needs Node.js 22.15 or newer (zlib's zstd); this is Node.js ${process.versions.node}`,
        );
        return;
      }
      await roundTrip('zstd');
      const old = await startFakeCluster(1, {
        versions: [
          [0, 3, 6],
          [3, 1, 4],
          [18, 0, 1],
          [22, 0, 1],
        ],
      });
      cleanups.push(() => old.close());
      const err = await failureOf(
        producer(old.brokers, 'zstd').send([{ topic: 'events', key: null, value: Buffer.from('x') }]),
      );
      expect(err).toBeInstanceOf(KafkaProtocolError);
      expect((err as Error).message).toMatch(/zstd needs Produce v7 .* supports up to v6/);
    },
  );
});
