import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { KafkaTarget } from '@switchyard/config';
import { createLogger, type Envelope, isSwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRecords, partitionLeader, readRecords } from '../../kafka/test/support/kafka-consumer.js';
import { startFakeCluster } from '../../kafka/test/support/kafka-fake-broker.js';
import { framer } from '../../kafka/test/support/kafka-frames.js';
import {
  ApiKey,
  KafkaErrorCode,
  type KafkaMock,
  startKafkaMock,
} from '../../kafka/test/support/kafka-mock.js';
import { createKafkaSink } from '../src/sinks/kafka.js';
import type { Sink } from '../src/sinks/sink.js';
import { kafkaTarget } from './support/kafka-target.js';
import { sampleEvents } from './support/sample-events.js';
import { failureOf } from './support/wait.js';

// The Kafka client under the sink, against real sockets: librdkafka's mock cluster, a TCP server that never
// answers, a closed port, and a TLS relay in front of the mock brokers.

const logger = createLogger({ level: 'silent' });
let kafka: KafkaMock;
const sinks: Sink[] = [];
const closers: (() => Promise<void> | void)[] = [];

const settings = (overrides: Partial<KafkaTarget>) =>
  kafkaTarget(kafka.brokers, { topic: 'client', ...overrides });

function sink(overrides: Partial<KafkaTarget>, onRetry?: (records: number) => void): Sink {
  const s = createKafkaSink(settings(overrides), { logger, onRetry });
  sinks.push(s);
  return s;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 3 });
});

afterAll(async () => {
  for (const s of sinks) await s.close().catch(() => undefined);
  for (const close of closers) await close();
  await kafka?.close();
});

describe('kafka client: failures', () => {
  it('a broker that accepts the connection and never answers: SWY_SINK_TIMEOUT within timeout_ms', async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => undefined);
    });
    const port = await listen(silent);
    closers.push(async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const s = sink({ brokers: [`127.0.0.1:${port}`], retry_max: 0, timeout_ms: 300 });
    const started = Date.now();
    const failure = await failureOf(s.start());
    expect(isSwitchyardError(failure, 'SWY_SINK_TIMEOUT')).toBe(true);
    expect(isSwitchyardError(failure) && failure.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(s.ready()).toBe(false);
    // send connects first, and fails the same way.
    expect(isSwitchyardError(await failureOf(s.send(sampleEvents(2, 'silent'))), 'SWY_SINK_TIMEOUT')).toBe(
      true,
    );
  });

  it('a closed port: send fails with SWY_SINK_UNAVAILABLE, retryable', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const s = sink({ brokers: [`127.0.0.1:${port}`], retry_max: 1 });
    const failure = await failureOf(s.send(sampleEvents(2, 'refused')));
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(isSwitchyardError(failure) && failure.retryable).toBe(true);
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('NOT_LEADER_OR_FOLLOWER answers: metadata refreshed, the records sent again, each stored once', async () => {
    const topic = 'leader-moved';
    await kafka.createTopic(topic, 2);
    const s = sink({ topic, retry_max: 3 });
    await s.start();
    const events = sampleEvents(12, 'moved');
    await kafka.injectErrors(ApiKey.Produce, KafkaErrorCode.NOT_LEADER_FOR_PARTITION, 2);
    expect((await s.send(events)).rejected).toEqual([]);
    const records = await readRecords(kafka.bootstrap, [topic], events.length);
    expect(records.map((r) => (r.value as Envelope).id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(events.length);
  });

  it('partition leaders move to other brokers: the next sends follow them, each record stored once', async () => {
    const topic = 'leader-follow';
    const partitions = 2;
    await kafka.createTopic(topic, partitions);
    let retried = 0;
    const s = sink({ topic, retry_max: 3 }, (records) => {
      retried += records;
    });
    await s.start();
    const before = sampleEvents(12, 'follow-a');
    expect((await s.send(before)).rejected).toEqual([]);
    // The old leaders stay up and answer NOT_LEADER_OR_FOLLOWER: only a metadata refresh finds the new ones.
    for (let p = 0; p < partitions; p++) {
      const next = ((await partitionLeader(kafka.bootstrap, topic, p)) % 3) + 1;
      await kafka.moveLeader(topic, p, next);
      expect(await partitionLeader(kafka.bootstrap, topic, p)).toBe(next);
    }
    const after = sampleEvents(12, 'follow-b');
    expect((await s.send(after)).rejected).toEqual([]);
    // Both partitions were refused by their old leaders once, then sent again to the new ones.
    expect(retried).toBe(after.length);
    const all = [...before, ...after];
    const records = await readRecords(kafka.bootstrap, [topic], all.length);
    expect(records.map((r) => (r.value as Envelope).id).sort()).toEqual(all.map((e) => e.id).sort());
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(all.length);
  });

  it('retriable answers past retry_max: SWY_SINK_UNAVAILABLE naming the Kafka error; the next send goes through', async () => {
    const topic = 'leader-lost';
    await kafka.createTopic(topic, 1);
    const s = sink({ topic, retry_max: 1 });
    await s.start();
    await kafka.injectErrors(ApiKey.Produce, KafkaErrorCode.NOT_LEADER_FOR_PARTITION, 2);
    const failure = await failureOf(s.send(sampleEvents(3, 'lost')));
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(isSwitchyardError(failure) && failure.details?.kafka_error).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(s.ready()).toBe(false);
    const events = sampleEvents(3, 'found');
    expect((await s.send(events)).rejected).toEqual([]);
    expect(s.ready()).toBe(true);
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(3);
  });

  it('INVALID_RECORD on one record: only that record is rejected, with the error name', async () => {
    const topic = 'invalid-record';
    await kafka.createTopic(topic, 1);
    const s = sink({ topic });
    await s.start();
    const events = sampleEvents(4, 'inv');
    // [a,b,c,d] → [a,b] → [a] refused; [b], [c,d] stored.
    await kafka.injectErrors(ApiKey.Produce, KafkaErrorCode.INVALID_RECORD, 3);
    const result = await s.send(events);
    expect(result.rejected.map((r) => r.event)).toEqual([events[0]]);
    expect(result.rejected[0]?.reason).toMatch(/INVALID_RECORD/);
    expect(await countRecords(kafka.bootstrap, [topic])).toBe(3);
  });

  it('acks 0: records sent without waiting for an answer are stored', async () => {
    const topic = 'no-acks';
    const s = sink({ topic, acks: 0 });
    const events = sampleEvents(20, 'noack');
    expect((await s.send(events)).rejected).toEqual([]);
    const records = await readRecords(kafka.bootstrap, [topic], events.length);
    expect(records.map((r) => (r.value as Envelope).id).sort()).toEqual(events.map((e) => e.id).sort());
  });
});

// TLS: openssl makes a self-signed certificate; each mock broker gets a TLS-terminating relay, and the
// relay rewrites the broker ports in Metadata answers to its own, so every connection the client opens
// (bootstrap and leaders) goes through TLS.
// `npm run test:setup` installs openssl when it is missing.
describe('kafka client: SASL OAUTHBEARER', () => {
  it('authenticates with the token from token_file and delivers; a refused token fails retryably with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-oauth-sink-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'token');
    writeFileSync(file, 'opaque-token-1\n');
    const cluster = await startFakeCluster(1, {
      sasl: {
        mechanisms: ['OAUTHBEARER'],
        check: (t) =>
          t.toString().includes('auth=Bearer opaque-token-1\x01') ? null : '{"status":"invalid_token"}',
      },
    });
    closers.push(() => cluster.close());
    const target = {
      brokers: cluster.brokers,
      sasl: { mechanism: 'oauthbearer' as const, token_file: file },
    };
    const good = sink(target);
    await good.start();
    expect(await good.send(sampleEvents(5, 'oauth'))).toEqual({ rejected: [] });
    expect(cluster.stored.get('client/0')).toBe(5);

    writeFileSync(file, 'opaque-token-2\n');
    const refused = sink({ ...target, retry_max: 0 });
    const failure = await failureOf(refused.start());
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect((failure as Error).message).toContain('invalid_token');
  });
});

describe('kafka client: TLS', () => {
  let dir: string;
  let relays: { brokers: string[]; connections: () => number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-kafka-tls-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    relays = await startTlsRelays(kafka.brokers, {
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
    });
  });

  it('delivers through TLS with a client certificate, the CA from ca_file', async () => {
    const topic = 'tls';
    const tls = {
      enabled: true,
      ca_file: join(dir, 'cert.pem'),
      cert_file: join(dir, 'cert.pem'),
      key_file: join(dir, 'key.pem'),
      reject_unauthorized: true,
    };
    const s = sink({ topic, brokers: relays.brokers, tls, compression: 'gzip' });
    await s.start();
    const events = sampleEvents(30, 'tls');
    expect((await s.send(events)).rejected).toEqual([]);
    const records = await readRecords(kafka.bootstrap, [topic], events.length);
    expect(records.map((r) => (r.value as Envelope).id).sort()).toEqual(events.map((e) => e.id).sort());
    // The bootstrap connection and at least one leader connection went through the relays.
    expect(relays.connections()).toBeGreaterThanOrEqual(2);
  });

  it('refuses a broker certificate it cannot verify: SWY_SINK_UNAVAILABLE', async () => {
    const s = sink({
      brokers: relays.brokers,
      retry_max: 0,
      tls: { enabled: true, reject_unauthorized: true },
    });
    const failure = await failureOf(s.start());
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect((failure as Error).message).toMatch(/self[- ]signed/i);
  });

  it('a TLS file that cannot be read: SWY_CONFIG_READ naming the setting', () => {
    let failure: unknown;
    try {
      createKafkaSink(
        settings({ tls: { enabled: true, ca_file: join(dir, 'missing.pem'), reject_unauthorized: true } }),
        {
          logger,
        },
      );
    } catch (err) {
      failure = err;
    }
    expect(isSwitchyardError(failure, 'SWY_CONFIG_READ')).toBe(true);
    expect((failure as Error).message).toMatch(/tls\.ca_file/);
  });
});

async function startTlsRelays(
  brokers: string[],
  credentials: { key: Buffer; cert: Buffer },
): Promise<{ brokers: string[]; connections: () => number }> {
  const portMap = new Map<number, number>();
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  for (const broker of brokers) {
    const target = Number(broker.split(':')[1]);
    const server = createTlsServer(
      { ...credentials, ca: credentials.cert, requestCert: true, rejectUnauthorized: true },
      (client) => {
        connections++;
        const upstream = netConnect({ host: '127.0.0.1', port: target });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.on('close', () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        // Correlation id → Metadata version, for requests whose answers carry broker addresses.
        const metadata = new Map<number, number>();
        client.on(
          'data',
          framer((frame) => {
            if (frame.readInt16BE(4) === 3) metadata.set(frame.readInt32BE(8), frame.readInt16BE(6));
            upstream.write(frame);
          }),
        );
        upstream.on(
          'data',
          framer((frame) => {
            const version = metadata.get(frame.readInt32BE(4));
            if (version !== undefined) rewritePorts(frame, version, portMap);
            client.write(frame);
          }),
        );
      },
    );
    servers.push(server);
    portMap.set(target, await listen(server));
  }
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { brokers: [...portMap.values()].map((p) => `127.0.0.1:${p}`), connections: () => connections };
}

/** Patches each broker's port in a Metadata answer (v1..v4: brokers come first) to its relay's port. */
function rewritePorts(frame: Buffer, version: number, portMap: Map<number, number>): void {
  let at = 8 + (version >= 3 ? 4 : 0);
  const count = frame.readInt32BE(at);
  at += 4;
  for (let i = 0; i < count; i++) {
    at += 4; // node id
    at += 2 + frame.readInt16BE(at); // host
    const relayed = portMap.get(frame.readInt32BE(at));
    if (relayed !== undefined) frame.writeInt32BE(relayed, at);
    at += 4;
    const rack = frame.readInt16BE(at);
    at += 2 + Math.max(rack, 0);
  }
}
