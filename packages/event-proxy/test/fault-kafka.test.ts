import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRecords, partitionLeader, readRecords } from '../../kafka/test/support/kafka-consumer.js';
import {
  KAFKA_MOCK_NAMES,
  type KafkaMock,
  type KafkaMockName,
  startKafkaMock,
} from '../../kafka/test/support/kafka-mock.js';
import { publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-kafka');
// Every mock cluster the test setup builds: Debian's librdkafka 2.0.2 and the newer one, which checks
// sequence numbers as Kafka does (see packages/kafka/test/support/kafka-mock.ts).
const clusters = new Map<KafkaMockName, KafkaMock>();
let kafka: KafkaMock;
let proxy: EventProxy | undefined;

beforeAll(async () => {
  for (const name of KAFKA_MOCK_NAMES) clusters.set(name, await startKafkaMock({ brokers: 3, mock: name }));
});
afterAll(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  for (const cluster of clusters.values()) await cluster.close();
  tmp.cleanup();
});

/** A spooled proxy for a steady stream: small batches, quick retries, one producer retry per send. */
function streamingProxy(topic: string, spool: string): EventProxy {
  const settings = proxySettings(tmp.dir, {
    target: {
      type: 'kafka',
      kafka: { brokers: kafka.brokers, topic, timeout_ms: 3000, retry_max: 1 } as never,
    },
    spool: { enabled: true, dir: join(tmp.dir, `${spool}-${randomUUID().slice(0, 8)}`) },
    batch: { max_events: 100, linger_ms: 10 },
    retry: { initial_ms: 50, max_ms: 500 },
  });
  return createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
}

describe.each(KAFKA_MOCK_NAMES)('fault: Kafka (librdkafka mock: %s)', (name) => {
  beforeAll(() => {
    kafka = clusters.get(name) as KafkaMock;
  });
  afterAll(async () => {
    await proxy?.close({ deadlineMs: 1000 });
    proxy = undefined;
  });

  it('a broker of the cluster down for several seconds mid-stream, then back: every event is read back', async () => {
    const topic = `fault-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 4);
    const leader = await partitionLeader(kafka.bootstrap, topic, 0);
    proxy = streamingProxy(topic, 'spool');
    await proxy.start();
    const p = proxy;

    const events = sampleEvents(4000, 'fkafka');
    const run = steadyStream({
      events,
      batch: 20,
      intervalMs: 20,
      maxMs: 30_000,
      send: publishTo(p),
    });
    // Down from about 1 s into the 4 s stream, for 3 s.
    await run.whenAcked(1000);
    await kafka.down(leader);
    const downAt = run.acked.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const heldWhileDown = (await scrape(p.address?.url as string)).get('switchyard_spool_events') ?? 0;
    await kafka.up(leader);
    await run.done;
    await p.flush(60_000);

    const total = await countRecords(kafka.bootstrap, [topic]);
    const records = await readRecords(kafka.bootstrap, [topic], total, 30_000);
    const t = tally(
      run.acked,
      records.map((r) => (r.value as Envelope).id),
    );
    const metrics = await scrape(p.address?.url as string);
    report(`kafka broker down 3 s mid-stream (${name})`, t, {
      broker: leader,
      'acknowledged when it went down': downAt,
      'spooled while down': heldWhileDown,
      retried: metrics.get('switchyard_events_retried_total{sink="kafka"}') ?? 0,
    });
    expect(heldWhileDown).toBeGreaterThan(0);
    expect(t.sent).toBe(events.length);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(t.duplicates).toBe(0);
    expect(metrics.get('switchyard_events_retried_total{sink="kafka"}')).toBeGreaterThan(0);
    expect(metrics.get('switchyard_spool_events')).toBe(0);
  }, 120_000);

  it('a failover: the broker leading partitions fails and they get new leaders; delivery goes on while it stays down, nothing lost', async () => {
    const topic = `failover-${randomUUID().slice(0, 8)}`;
    const partitions = 4;
    await kafka.createTopic(topic, partitions);
    const failed = await partitionLeader(kafka.bootstrap, topic, 0);
    const led: number[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      if ((await partitionLeader(kafka.bootstrap, topic, partition)) === failed) led.push(partition);
    }
    const p = streamingProxy(topic, 'failover.spool');
    try {
      await p.start();
      const events = sampleEvents(4000, 'failover');
      const run = steadyStream({ events, batch: 20, intervalMs: 20, maxMs: 30_000, send: publishTo(p) });
      await run.whenAcked(1000);
      // What a controller does when a broker dies: the broker is gone, and each partition it led gets a
      // leader among the others.
      await kafka.down(failed);
      const downAt = run.acked.length;
      for (const partition of led) await kafka.moveLeader(topic, partition, (failed % 3) + 1);
      await run.done;
      // The spool empties (every event acked by Kafka) with the failed broker still down.
      await p.flush(60_000);
      const metrics = await scrape(p.address?.url as string);
      await kafka.up(failed);

      const total = await countRecords(kafka.bootstrap, [topic]);
      const records = await readRecords(kafka.bootstrap, [topic], total, 30_000);
      const t = tally(
        run.acked,
        records.map((r) => (r.value as Envelope).id),
      );
      report(`kafka failover: leaders moved off a failed broker (${name})`, t, {
        broker: failed,
        'partitions it led': led.length,
        'acknowledged when it failed': downAt,
        'tried again by the sink': metrics.get('switchyard_events_sink_retried_total{sink="kafka"}') ?? 0,
        'retried by the pipeline': metrics.get('switchyard_events_retried_total{sink="kafka"}') ?? 0,
      });
      expect(metrics.get('switchyard_spool_events')).toBe(0);
      // The failover was absorbed by the producer's own retries after a metadata refresh.
      expect(metrics.get('switchyard_events_sink_retried_total{sink="kafka"}')).toBeGreaterThan(0);
      expect(t.sent).toBe(events.length);
      expect(t.missing).toEqual([]);
      expect(t.unexpected).toEqual([]);
      expect(t.duplicates).toBe(0);
    } finally {
      await kafka.up(failed);
      await p.close({ deadlineMs: 1000 });
    }
  }, 120_000);
});

describe('fault: Kafka', () => {
  beforeAll(() => {
    kafka = clusters.get('debian') as KafkaMock;
  });

  it('a record over the size limit goes to the dead-letter file with the reason; the rest of its batch is read back', async () => {
    const topic = `fault-big-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    const dead = join(tmp.dir, 'big.dead.ndjson');
    const settings = proxySettings(tmp.dir, {
      target: { type: 'kafka', kafka: { brokers: kafka.brokers, topic, max_message_bytes: 4096 } as never },
      spool: { enabled: true, dir: join(tmp.dir, 'big.spool') },
      dead_letter: { path: dead },
    });
    const big = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    try {
      await big.start();
      const events = sampleEvents(20, 'fbig');
      const [template] = events;
      const oversized = {
        ...template,
        id: `big-${randomUUID()}`,
        event_type: 'plugin_updated',
        data: {
          plugin: 'qos/circuit-breaker',
          scope: '/x',
          change: 'config',
          from: null,
          to: 'x'.repeat(8000),
        },
      } as Envelope;
      await big.publish([...events.slice(0, 10), oversized, ...events.slice(10)]);
      await big.flush(30_000);

      const read = await readRecords(kafka.bootstrap, [topic], 20, 30_000);
      expect(read.map((r) => (r.value as Envelope).id).sort()).toEqual(events.map((e) => e.id).sort());
      const letters = readFileSync(dead, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { sink: string; reason: string; event: Envelope });
      expect(letters).toHaveLength(1);
      expect(letters[0]?.sink).toBe('kafka');
      expect(letters[0]?.reason).toContain('over max_message_bytes (4096)');
      expect(letters[0]?.event).toStrictEqual(oversized);
      expect(
        (await scrape(big.address?.url as string)).get('switchyard_events_dead_lettered_total{sink="kafka"}'),
      ).toBe(1);
    } finally {
      await big.close({ deadlineMs: 500 });
    }
  }, 60_000);
});
