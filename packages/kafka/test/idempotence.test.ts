import { afterEach, describe, expect, it } from 'vitest';
import { Producer, type ProducerOptions, type ProducerRecord } from '../src/index.js';
import { type FakeCluster, startFakeCluster } from './support/kafka-fake-broker.js';

// The idempotent producer against the scripted broker (support/kafka-fake-broker.ts), which checks sequence
// numbers as Kafka does and answers DUPLICATE_SEQUENCE_NUMBER for a batch it stored already. The same cases
// against librdkafka's mock clusters are in librdkafka-mocks.test.ts.

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
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
    expect(() => producer(['127.0.0.1:1'], { acks: 1, idempotent: true })).toThrow(/acks -1/);
    expect(() => producer(['127.0.0.1:1'], { maxInFlight: 6 })).toThrow(/at most 5/);
    expect(producer(['127.0.0.1:1'], { acks: 1 }).idempotent).toBe(false);
  });
});
