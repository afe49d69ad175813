import { createServer } from 'node:net';
import type { KafkaTarget } from '@switchyard/config';
import { createLogger, type Envelope, isSwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsumedRecord,
  countRecords,
  partitionLeader,
  readRecords,
} from '../../kafka/test/support/kafka-consumer.js';
import {
  ApiKey,
  KafkaErrorCode,
  type KafkaMock,
  startKafkaMock,
} from '../../kafka/test/support/kafka-mock.js';
import { createKafkaSink, kafkaMessageKey } from '../src/sinks/kafka.js';
import type { Sink } from '../src/sinks/sink.js';
import { kafkaTarget } from './support/kafka-target.js';
import { sampleEvents } from './support/sample-events.js';

const logger = createLogger({ level: 'silent' });
let kafka: KafkaMock;
const sinks: Sink[] = [];

const settings = (overrides: Partial<KafkaTarget>) => kafkaTarget(kafka.brokers, overrides);

async function startSink(overrides: Partial<KafkaTarget>): Promise<Sink> {
  const sink = createKafkaSink(settings(overrides), { logger });
  sinks.push(sink);
  await sink.start();
  return sink;
}

async function sendAll(sink: Sink, events: Envelope[], batchSize: number): Promise<void> {
  for (let i = 0; i < events.length; i += batchSize) {
    const result = await sink.send(events.slice(i, i + batchSize));
    expect(result.rejected).toEqual([]);
  }
}

/**
 * Every event read back exactly once, equal field by field, with its key and header; within a topic one key
 * maps to one partition, where its records are in the order they were sent (a request before its response).
 */
function expectDelivered(records: ConsumedRecord[], events: Envelope[]): void {
  expect(records).toHaveLength(events.length);
  const byId = new Map(records.map((r) => [(r.value as Envelope).id, r]));
  expect(byId.size).toBe(events.length);
  const sentPerKey = new Map<string, string[]>();
  const storedPerKey = new Map<string, ConsumedRecord[]>();
  for (const event of events) {
    const record = byId.get(event.id);
    expect(record?.value).toStrictEqual(event);
    expect(record?.key).toBe(kafkaMessageKey(event));
    expect(record?.headers).toEqual({ event_type: event.event_type });
    if (!record) continue;
    const key = `${record.topic}|${record.key}`;
    sentPerKey.set(key, [...(sentPerKey.get(key) ?? []), event.id]);
    storedPerKey.set(key, [...(storedPerKey.get(key) ?? []), record]);
  }
  for (const [key, stored] of storedPerKey) {
    expect(new Set(stored.map((r) => r.partition)).size).toBe(1);
    const inOffsetOrder = stored.sort((a, b) => a.offset - b.offset).map((r) => (r.value as Envelope).id);
    expect(inOffsetOrder).toEqual(sentPerKey.get(key));
  }
}

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 3 });
});

afterAll(async () => {
  for (const sink of sinks) await sink.close().catch(() => undefined);
  await kafka?.close();
});

describe('kafka sink', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`delivers 200 events in batches with compression ${compression}, read back field by field`, async () => {
      const topic = `events-${compression}`;
      const sink = await startSink({ topic, compression });
      expect(sink.ready()).toBe(true);
      const events = sampleEvents(200, compression);
      await sendAll(sink, events, 50);
      expectDelivered(await readRecords(kafka.bootstrap, [topic], events.length), events);
      expect(await countRecords(kafka.bootstrap, [topic])).toBe(events.length);
    });
  }

  it('routes each event to the topic named by {event_type}', async () => {
    const sink = await startSink({ topic: 'routed.{event_type}', compression: 'gzip' });
    const events = sampleEvents(40, 'routed');
    await sendAll(sink, events, 40);
    const types = ['request', 'response', 'plugin_updated', 'node_health'];
    const records = await readRecords(
      kafka.bootstrap,
      types.map((t) => `routed.${t}`),
      events.length,
    );
    expectDelivered(records, events);
    for (const record of records)
      expect(record.topic).toBe(`routed.${(record.value as Envelope).event_type}`);
  });

  it('rejects an event over max_message_bytes on its own and delivers the rest of the batch', async () => {
    const topic = 'oversize';
    const sink = await startSink({ topic, max_message_bytes: 4096 });
    const events = sampleEvents(10, 'big');
    const big = sampleEvents(1, 'huge')[0] as Envelope & { event_type: 'request' };
    big.data.headers = { 'x-padding': 'x'.repeat(5000) };
    const batch = [...events.slice(0, 5), big, ...events.slice(5)];
    const result = await sink.send(batch);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.event).toBe(big);
    expect(result.rejected[0]?.reason).toMatch(/over max_message_bytes \(4096\)/);
    expectDelivered(await readRecords(kafka.bootstrap, [topic], events.length), events);
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(events.length);
  });

  it('rejects only the record a broker refuses with MESSAGE_TOO_LARGE', async () => {
    // One partition: one Produce request per attempt, so the injected errors follow the halving exactly:
    // [a..f] → [a,b,c] → [a,b] → [a] refused; then [b], [c], [d,e,f] are stored.
    const topic = 'refused';
    await kafka.createTopic(topic, 1);
    const sink = await startSink({ topic });
    const events = sampleEvents(6, 'refused');
    await kafka.injectErrors(ApiKey.Produce, KafkaErrorCode.MESSAGE_TOO_LARGE, 4);
    const result = await sink.send(events);
    expect(result.rejected.map((r) => r.event)).toEqual([events[0]]);
    expect(result.rejected[0]?.reason).toMatch(/MESSAGE_TOO_LARGE/);
    expectDelivered(await readRecords(kafka.bootstrap, [topic], 5), events.slice(1));
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(5);
  });

  it('fails a send retryably while the partition leader is down, and delivers after it is back', async () => {
    const topic = 'outage';
    await kafka.createTopic(topic, 1);
    const sink = await startSink({ topic, retry_max: 1, timeout_ms: 3000 });
    const before = sampleEvents(4, 'before');
    await sendAll(sink, before, 4);
    const leader = await partitionLeader(kafka.bootstrap, topic, 0);

    await kafka.down(leader);
    const during = sampleEvents(4, 'during');
    const failure = await sink.send(during).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(
      isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE') || isSwitchyardError(failure, 'SWY_SINK_TIMEOUT'),
    ).toBe(true);
    expect(isSwitchyardError(failure) && failure.retryable).toBe(true);
    expect(sink.ready()).toBe(false);

    await kafka.up(leader);
    await sendAll(sink, during, 4);
    expect(sink.ready()).toBe(true);
    expectDelivered(await readRecords(kafka.bootstrap, [topic], 8), [...before, ...during]);
  });

  it('fails start retryably when no broker answers', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const sink = createKafkaSink(settings({ brokers: [`127.0.0.1:${port}`], retry_max: 0 }), { logger });
    sinks.push(sink);
    const failure = await sink.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(sink.ready()).toBe(false);
  });
});
