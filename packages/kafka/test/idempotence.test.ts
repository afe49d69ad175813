import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Producer, type ProducerOptions, type ProducerRecord } from '../src/index.js';
import { countRecords } from './support/kafka-consumer.js';
import { type FakeCluster, startFakeCluster } from './support/kafka-fake-broker.js';
import { type KafkaMock, startKafkaMock } from './support/kafka-mock.js';
import { type AnswerAction, startKafkaRelay } from './support/kafka-relay.js';

// The idempotent producer. librdkafka 2.0.2's mock cluster serves InitProducerId and takes idempotent
// batches, but does not drop a batch sent twice; the scripted broker (support/kafka-fake-broker.ts) checks
// sequence numbers as Kafka does, so the lost-answer cases run against it.

const PRODUCE = 0;
const UNKNOWN_PRODUCER_ID = 59;
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

function producer(brokers: string[], options: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({
    brokers,
    clientId: 'idempotence-test',
    requestTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    retryMax: 5,
    ...options,
  });
  cleanups.push(() => p.close());
  return p;
}

async function fake(onProduce?: () => 'answer' | 'close'): Promise<FakeCluster> {
  const cluster = await startFakeCluster(1, onProduce ? { onProduce } : {});
  cleanups.push(() => cluster.close());
  return cluster;
}

/** `count` records numbered from `from`, all to partition 0 of `topic`. */
const records = (topic: string, from: number, count: number): ProducerRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    topic,
    partition: 0,
    key: null,
    value: Buffer.from(JSON.stringify({ n: from + i })),
  }));

/** Loses Produce answers number `lost` (1-based): the broker stored the batch, the client never hears. */
function losing(...lost: number[]) {
  let produced = 0;
  return (): 'answer' | 'close' => {
    produced++;
    return lost.includes(produced) ? 'close' : 'answer';
  };
}

describe('idempotent producer', () => {
  it('against the mock cluster: gets a producer id, its batches are stored, each record once', async () => {
    const topic = `idem-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    const p = producer(kafka.brokers);
    expect(p.idempotent).toBe(true);
    for (let i = 0; i < 3; i++) await p.send(records(topic, i * 10, 10));
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(30);
  });

  it('UNKNOWN_PRODUCER_ID from the mock cluster: a new producer id, the batch sent again, stored once', async () => {
    const topic = `unknown-pid-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    const p = producer(kafka.brokers);
    await p.send(records(topic, 0, 10));
    await kafka.injectErrors(PRODUCE, UNKNOWN_PRODUCER_ID, 1);
    await p.send(records(topic, 10, 10));
    await p.send(records(topic, 20, 10));
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(30);
  });

  it('without idempotence, an answer lost after the mock stored the batch stores it twice', async () => {
    const topic = `dup-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    let produced = 0;
    const relay = await startKafkaRelay(kafka.brokers, (apiKey): AnswerAction => {
      if (apiKey === PRODUCE) produced++;
      return apiKey === PRODUCE && produced === 1 ? 'cut' : 'forward';
    });
    cleanups.push(() => relay.close());
    await producer(relay.brokers, { idempotent: false }).send(records(topic, 0, 50));
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(100);
  });

  it('an answer lost after the broker stored the batch: sent again with the same sequence, stored once', async () => {
    const cluster = await fake(losing(1));
    await producer(cluster.brokers).send(records('events', 0, 50));
    expect(cluster.stored.get('events/0')).toBe(50);
    const [first, second] = cluster.produced.map((r) => r.batches.get('events/0'));
    expect(first?.producerId).toBeGreaterThanOrEqual(0);
    expect(second).toEqual(first);
  });

  it('the same loss without idempotence: stored twice (what the test above guards against)', async () => {
    const cluster = await fake(losing(1));
    await producer(cluster.brokers, { idempotent: false }).send(records('events', 0, 50));
    expect(cluster.stored.get('events/0')).toBe(100);
  });

  it('20 sends at once to one partition, connections cut with requests in flight: each stored once, in order', async () => {
    const cluster = await fake(losing(3, 9));
    const p = producer(cluster.brokers);
    await Promise.all(Array.from({ length: 20 }, (_, i) => p.send(records('events', i * 10, 10))));
    // The broker refuses a batch that does not follow the last one stored: 200 means all, once, in order.
    expect(cluster.stored.get('events/0')).toBe(200);
    const sequences = cluster.produced.map((r) => r.batches.get('events/0')?.baseSequence);
    expect(new Set(sequences)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i * 10)));
  });

  it('refuses idempotence with acks other than -1, and more than 5 requests in flight', () => {
    expect(() => producer(kafka.brokers, { acks: 1, idempotent: true })).toThrow(/acks -1/);
    expect(() => producer(kafka.brokers, { maxInFlight: 6 })).toThrow(/at most 5/);
    expect(producer(kafka.brokers, { acks: 1 }).idempotent).toBe(false);
  });
});
