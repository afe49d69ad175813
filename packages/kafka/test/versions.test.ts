import { afterEach, describe, expect, it } from 'vitest';
import { KafkaProtocolError, Producer } from '../src/index.js';
import { negotiate } from '../src/versions.js';
import { type FakeBrokerOptions, KAFKA_4_VERSIONS, startFakeCluster } from './support/kafka-fake-broker.js';
import { failureOf } from './support/wait.js';

// Version negotiation: ApiVersions first, then per API the highest version both sides support. The scripted
// broker answers each request at the version the client picked, from the ranges it advertises.

const PRODUCE = 0;
const METADATA = 3;
const INIT_PRODUCER_ID = 22;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sendThrough(versions: FakeBrokerOptions['versions']) {
  const cluster = await startFakeCluster(1, { versions });
  cleanups.push(() => cluster.close());
  const producer = new Producer({
    brokers: cluster.brokers,
    clientId: 'versions-test',
    requestTimeoutMs: 3000,
    connectTimeoutMs: 2000,
    retryMax: 0,
  });
  cleanups.push(() => producer.close());
  const sent = producer.send([{ topic: 'events', partition: 0, key: 'k', value: Buffer.from('v') }]);
  return { cluster, sent };
}

/** The versions the client sent, per API key. */
const used = (requests: [number, number][], apiKey: number) =>
  new Set(requests.filter(([key]) => key === apiKey).map(([, version]) => version));

describe('version negotiation', () => {
  it('a Kafka 4.x broker (oldest versions gone, KIP-896): the newest versions the client has', async () => {
    const { cluster, sent } = await sendThrough(KAFKA_4_VERSIONS);
    await sent;
    expect(used(cluster.requests, PRODUCE)).toEqual(new Set([8]));
    expect(used(cluster.requests, METADATA)).toEqual(new Set([8]));
    expect(used(cluster.requests, INIT_PRODUCER_ID)).toEqual(new Set([1]));
    expect(cluster.stored.get('events/0')).toBe(1);
  });

  it('a Kafka 0.11 broker: the oldest versions the client has', async () => {
    const { cluster, sent } = await sendThrough([
      [PRODUCE, 0, 3],
      [METADATA, 0, 4],
      [18, 0, 1],
      [INIT_PRODUCER_ID, 0, 0],
    ]);
    await sent;
    expect(used(cluster.requests, PRODUCE)).toEqual(new Set([3]));
    expect(used(cluster.requests, METADATA)).toEqual(new Set([4]));
    expect(used(cluster.requests, INIT_PRODUCER_ID)).toEqual(new Set([0]));
  });

  it('a broker with only newer Produce versions than the client has: an error naming Produce and both ranges', async () => {
    const { sent } = await sendThrough([
      [PRODUCE, 9, 12],
      [METADATA, 4, 13],
      [18, 0, 4],
      [INIT_PRODUCER_ID, 0, 5],
    ]);
    const err = await failureOf(sent);
    expect(err).toBeInstanceOf(KafkaProtocolError);
    expect((err as Error).message).toMatch(
      /no common version of Produce \(the broker supports v9\.\.v12, this client v3\.\.v8\)/,
    );
  });

  it("librdkafka 2.0.2's mock cluster ranges: Produce v7, Metadata v2, InitProducerId v1", () => {
    const mock = new Map([
      [PRODUCE, { min: 0, max: 7 }],
      [METADATA, { min: 0, max: 2 }],
      [INIT_PRODUCER_ID, { min: 0, max: 4 }],
      [18, { min: 0, max: 2 }],
    ]);
    expect(negotiate(mock, ['produce', 'metadata'], 'mock')).toMatchObject({
      produce: 7,
      metadata: 2,
      initProducerId: 1,
      saslHandshake: undefined,
    });
    expect(() => negotiate(mock, ['produce', 'saslHandshake'], 'mock')).toThrow(
      /no common version of SaslHandshake \(the broker supports no version/,
    );
  });
});
