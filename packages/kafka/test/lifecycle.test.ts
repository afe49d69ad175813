import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaProtocolError, KafkaTimeoutError, Producer, type ProducerOptions } from '../src/index.js';
import { type FakeCluster, startFakeCluster } from './support/kafka-fake-broker.js';
import { failureOf, until } from './support/wait.js';

// Connection and cluster lifecycle against scripted brokers on real sockets (support/kafka-fake-broker.ts):
// what librdkafka's mock cluster cannot stage.

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fake(
  count: number,
  options: Parameters<typeof startFakeCluster>[1] = {},
): Promise<FakeCluster> {
  const cluster = await startFakeCluster(count, options);
  cleanups.push(() => cluster.close());
  return cluster;
}

function producer(cluster: FakeCluster, options: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({
    brokers: cluster.brokers.slice(0, 1),
    clientId: 'lifecycle-test',
    requestTimeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    retryMax: 3,
    ...options,
  });
  cleanups.push(() => p.close());
  return p;
}

const record = (value: string) => ({ topic: 't', key: 'k', value: Buffer.from(value) });

describe('kafka client lifecycle', () => {
  it('closing the producer mid-send rejects the send at once and opens no connection afterwards', async () => {
    let produces = 0;
    // The first Produce is never answered; later ones are.
    const cluster = await fake(2, { onProduce: () => (produces++ === 0 ? 'ignore' : 'answer') });
    cluster.leader = 2;
    const p = producer(cluster);
    const sending = failureOf(p.send([record('a')]));
    await until(() => cluster.produced.length === 1, 3000);
    const closedAt = Date.now();
    await p.close();
    const failure = await sending;
    expect(failure).toBeInstanceOf(Error);
    expect(Date.now() - closedAt).toBeLessThan(500);
    const accepted = [cluster.accepted(1), cluster.accepted(2)];
    await sleep(1500);
    // No retry after close: no new connection, no second Produce, and nothing left open.
    expect([cluster.accepted(1), cluster.accepted(2)]).toEqual(accepted);
    expect(cluster.produced).toHaveLength(1);
    expect(cluster.open(1) + cluster.open(2)).toBe(0);
    // A closed producer can be used again.
    await p.send([record('b')]);
    expect(cluster.produced).toHaveLength(2);
  });

  it('acks 0: a broker that stops reading fails the send within the request timeout', async () => {
    let stalled = 0;
    const paused = await fake(1, {
      onProduce: (_request, socket) => {
        stalled++;
        socket.pause();
        return 'ignore';
      },
    });
    const p = producer(paused, { acks: 0, requestTimeoutMs: 500, retryMax: 0 });
    // The first Produce is read (and pauses the socket); the next one, big enough to fill the kernel's
    // buffers, can never be written out.
    await p.send([record('small')]);
    const big = Buffer.alloc(48 * 1024 * 1024, 1);
    const started = Date.now();
    const failure = await failureOf(p.send([{ topic: 't', key: 'k', value: big }]));
    expect(failure).toBeInstanceOf(KafkaTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stalled).toBe(1);
  });

  it('an answer that is not Kafka (an HTTP server) fails at once, not at the request timeout', async () => {
    const cluster = await fake(1, { rawAnswer: Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n') });
    const p = producer(cluster, { requestTimeoutMs: 5_000 });
    const started = Date.now();
    const failure = await failureOf(p.connect());
    expect(failure).toBeInstanceOf(KafkaProtocolError);
    expect((failure as Error).message).toMatch(/frame size/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('closes its connection to a broker that left the cluster', async () => {
    const cluster = await fake(2);
    cluster.leader = 2;
    const p = producer(cluster, { metadataMaxAgeMs: 0 });
    await p.send([record('a')]);
    expect(cluster.open(2)).toBe(1);
    // Broker 2 leaves: the next metadata lists broker 1 only, which now leads.
    cluster.listed = [1];
    cluster.leader = 1;
    await sleep(5);
    await p.send([record('b')]);
    expect(cluster.produced.map((r) => r.broker)).toEqual([2, 1]);
    await until(() => cluster.open(2) === 0, 3000);
  });
});
