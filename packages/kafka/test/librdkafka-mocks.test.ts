import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Producer, type ProducerOptions, type ProducerRecord } from '../src/index.js';
import { countRecords, readRecords } from './support/kafka-consumer.js';
import {
  KAFKA_MOCK_NAMES,
  type KafkaMock,
  type KafkaMockName,
  startKafkaMock,
} from './support/kafka-mock.js';
import { type AnswerAction, type RequestAction, startKafkaRelay } from './support/kafka-relay.js';

// The client against both librdkafka mock clusters the test setup builds: Debian's librdkafka 2.0.2 (Produce
// up to v7, Metadata up to v2, batches sent twice stored twice) and the newer librdkafka
// @confluentinc/kafka-javascript ships (Produce up to v10, Metadata up to v12, sequence numbers checked as
// Kafka does). Relays on loopback in front of them see the versions used, and lose answers or requests.

const PRODUCE = 0;
const METADATA = 3;
const INIT_PRODUCER_ID = 22;

/** The versions each mock should be spoken to at: the highest both it and the client have. */
const EXPECTED_VERSIONS: Record<
  KafkaMockName,
  { produce: number; metadata: number; initProducerId: number }
> = {
  debian: { produce: 7, metadata: 2, initProducerId: 1 },
  bundled: { produce: 8, metadata: 8, initProducerId: 1 },
};

/** `count` records numbered from `from`, all to partition 0 of `topic`, their value `{ n }`. */
const records = (topic: string, from: number, count: number): ProducerRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    topic,
    partition: 0,
    key: null,
    value: Buffer.from(JSON.stringify({ n: from + i })),
  }));

/** The `n` of each record of the topic, in offset order. */
async function numbersIn(kafka: KafkaMock, topic: string): Promise<number[]> {
  const total = await countRecords(kafka.bootstrap, [topic]);
  const read = await readRecords(kafka.bootstrap, [topic], total, 30_000);
  return read.sort((a, b) => a.offset - b.offset).map((r) => (r.value as { n: number }).n);
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

describe.each(KAFKA_MOCK_NAMES)('librdkafka mock cluster (%s)', (name) => {
  let kafka: KafkaMock;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    kafka = await startKafkaMock({ brokers: 1, mock: name });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await kafka?.close();
  });

  function producer(brokers: string[], options: Partial<ProducerOptions> = {}): Producer {
    const p = new Producer({
      brokers,
      clientId: `mock-${name}-test`,
      requestTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      retryMax: 5,
      ...options,
    });
    cleanups.push(() => p.close());
    return p;
  }

  async function relay(
    onAnswer?: (apiKey: number) => AnswerAction,
    onRequest?: (apiKey: number) => RequestAction,
  ) {
    const r = await startKafkaRelay(kafka.brokers, onAnswer, onRequest);
    cleanups.push(() => r.close());
    return r;
  }

  async function topic(prefix: string): Promise<string> {
    const t = `${prefix}-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(t, 1);
    return t;
  }

  it('negotiates the highest versions both have, and produces with a producer id', async () => {
    expect(kafka.librdkafka).toBe(name === 'debian' ? '2.0.2' : '2.15.1');
    const t = await topic('versions');
    const r = await relay();
    const p = producer(r.brokers);
    expect(p.idempotent).toBe(true);
    for (let i = 0; i < 3; i++) await p.send(records(t, i * 10, 10));
    const used = (apiKey: number) => [
      ...new Set(r.requests.filter(([key]) => key === apiKey).map(([, version]) => version)),
    ];
    const expected = EXPECTED_VERSIONS[name];
    expect(used(PRODUCE)).toEqual([expected.produce]);
    expect(used(METADATA)).toEqual([expected.metadata]);
    expect(used(INIT_PRODUCER_ID)).toEqual([expected.initProducerId]);
    expect(await numbersIn(kafka, t)).toEqual(range(30));
  });

  it('request buffers kept between sends carry nothing of the one before: sends of growing and shrinking size, at once and in turn', async () => {
    const t = await topic('reuse');
    const p = producer([kafka.bootstrap]);
    // Each record's value padded to its own length, so a stale byte left in a kept buffer would show.
    const padded = (from: number, count: number, pad: number) =>
      records(t, from, count).map((r, i) => ({
        ...r,
        value: Buffer.from(JSON.stringify({ n: from + i, pad: 'x'.repeat((pad * (i + 1)) % 5000) })),
      }));
    await p.send(padded(0, 200, 300));
    await p.send(padded(200, 20, 7));
    await Promise.all([
      p.send(padded(220, 100, 900)),
      p.send(padded(320, 100, 11)),
      p.send(padded(420, 80, 50)),
    ]);
    // Larger than the buffers kept so far (about 2.5 MB), then small again.
    await p.send(padded(500, 500, 4999));
    await p.send(padded(1000, 10, 3));
    expect((await numbersIn(kafka, t)).sort((a, b) => a - b)).toEqual(range(1010));
  });

  it.each([
    ['UNKNOWN_PRODUCER_ID', 59],
    ['INVALID_PRODUCER_EPOCH', 47],
    ['INVALID_PRODUCER_ID_MAPPING', 49],
  ])('%s: a new producer id, the batch sent again, stored once', async (_, code) => {
    const t = await topic('new-pid');
    const r = await relay();
    const p = producer(r.brokers);
    await p.send(records(t, 0, 10));
    await kafka.injectErrors(PRODUCE, code, 1);
    await p.send(records(t, 10, 10));
    await p.send(records(t, 20, 10));
    expect(r.requests.filter(([key]) => key === INIT_PRODUCER_ID)).toHaveLength(2);
    expect(await numbersIn(kafka, t)).toEqual(range(30));
  });

  it('without idempotence, an answer lost after the mock stored the batch stores it twice', async () => {
    const t = await topic('dup');
    let produced = 0;
    const r = await relay((apiKey) => (apiKey === PRODUCE && ++produced === 1 ? 'cut' : 'forward'));
    await producer(r.brokers, { idempotent: false }).send(records(t, 0, 50));
    expect(await countRecords(kafka.bootstrap, [t])).toBe(100);
  });

  // What only the newer mock can show: it checks sequence numbers, as a Kafka broker does.
  if (name === 'bundled') {
    it('an answer lost after the mock stored the batch: sent again with the same sequence, stored once', async () => {
      const t = await topic('lost-answer');
      let produced = 0;
      const r = await relay((apiKey) => (apiKey === PRODUCE && ++produced === 1 ? 'cut' : 'forward'));
      await producer(r.brokers).send(records(t, 0, 50));
      expect(produced).toBeGreaterThanOrEqual(2);
      expect(await numbersIn(kafka, t)).toEqual(range(50));
    });

    it('a request lost on the way while the next arrives: OUT_OF_ORDER_SEQUENCE_NUMBER, both sent again, in order', async () => {
      const t = await topic('out-of-order');
      let produceRequests = 0;
      const r = await relay(undefined, (apiKey) =>
        apiKey === PRODUCE && ++produceRequests === 1 ? 'drop' : 'forward',
      );
      // A short request timeout: the dropped request is never answered, so the connection is given up.
      const p = producer(r.brokers, { requestTimeoutMs: 1000 });
      await p.connect();
      await Promise.all([p.send(records(t, 0, 10)), p.send(records(t, 10, 10))]);
      expect(await numbersIn(kafka, t)).toEqual(range(20));
    });

    it('20 sends at once, connections cut with requests in flight: every record once, in order', async () => {
      const t = await topic('cut');
      let answers = 0;
      const r = await relay((apiKey) =>
        apiKey === PRODUCE && [3, 9].includes(++answers) ? 'cut' : 'forward',
      );
      const p = producer(r.brokers);
      await Promise.all(range(20).map((i) => p.send(records(t, i * 10, 10))));
      expect(await numbersIn(kafka, t)).toEqual(range(200));
    });
  }
});
