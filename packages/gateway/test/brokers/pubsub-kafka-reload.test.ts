import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type KafkaMock, startKafkaMock } from '../../../kafka/test/support/kafka-mock.js';
import { send } from '../support/client.js';
import { startGateway, type TestConfig, type TestGateway } from '../support/gateway.js';
import { until } from '../support/wait.js';

const id = randomUUID().slice(0, 8);

let kafka: KafkaMock;
let gw: TestGateway | undefined;

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 1 });
  process.env.KAFKA_BROKERS = kafka.bootstrap;
});

afterAll(async () => {
  await gw?.close();
  await kafka?.close();
});

/** Established TCP connections of this machine to `port` (the mock broker's): its clients' side only. */
function connectionsTo(port: number): number {
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, , remote, state] = line.trim().split(/\s+/);
      if (state === '01' && remote && Number.parseInt(remote.split(':')[1] ?? '', 16) === port) count++;
    }
  }
  return count;
}

it('a reload that drops the kafka:// publisher closes its producer once the request in flight on it is answered', async () => {
  const port = Number(kafka.brokers[0]?.split(':')[1]);
  const withKafka: TestConfig = {
    timeout: '10s',
    endpoints: [
      {
        endpoint: '/publish',
        method: 'POST',
        backend: [
          {
            host: ['kafka://'],
            url_pattern: '',
            extra_config: { 'backend/pubsub/publisher': { topic_url: `swy-reload-${id}` } },
          },
        ],
      },
    ],
  };
  gw = await startGateway(withKafka);
  const first = await send(gw.port, '/publish', { method: 'POST', body: '{"n":1}' });
  expect(first.status).toBe(200);
  expect(connectionsTo(port)).toBeGreaterThan(0);

  // The broker answers late: the next publish is still waiting for its acknowledgement during the reload.
  await kafka.rtt(1, 1500);
  const inFlight = send(gw.port, '/publish', { method: 'POST', body: '{"n":2}' });
  const gateway = gw.gateway;
  await until(() => gateway.inFlight === 1);
  gateway.reload({
    version: 3,
    timeout: '10s',
    endpoints: [{ endpoint: '/other', backend: [{ host: ['http://127.0.0.1:9'], url_pattern: '/' }] }],
  });
  expect((await inFlight).status).toBe(200);
  await kafka.rtt(1, 0);
  // Then the producer no longer used is closed, with its connections to the broker.
  await until(() => connectionsTo(port) === 0);
});

it('a request whose client left before the answer still counts as done, so the dropped producer is closed', async () => {
  const port = Number(kafka.brokers[0]?.split(':')[1]);
  await gw?.close();
  gw = await startGateway({
    timeout: '60s',
    endpoints: [
      {
        endpoint: '/publish',
        method: 'POST',
        backend: [
          {
            host: ['kafka://'],
            url_pattern: '',
            extra_config: { 'backend/pubsub/publisher': { topic_url: `swy-leave-${id}` } },
          },
        ],
      },
    ],
  });
  expect((await send(gw.port, '/publish', { method: 'POST', body: '{"n":1}' })).status).toBe(200);
  expect(connectionsTo(port)).toBeGreaterThan(0);

  // A timeout past until's 20 s: the producer is closed by the count reaching 0, not by the grace.
  await kafka.rtt(1, 1500);
  const gateway = gw.gateway;
  const client = request({ port: gw.port, path: '/publish', method: 'POST' });
  client.on('error', () => {});
  client.end('{"n":2}');
  await until(() => gateway.inFlight === 1);
  gateway.reload({
    version: 3,
    timeout: '60s',
    endpoints: [{ endpoint: '/other', backend: [{ host: ['http://127.0.0.1:9'], url_pattern: '/' }] }],
  });
  client.destroy();
  await until(() => gateway.inFlight === 0);
  await kafka.rtt(1, 0);
  await until(() => connectionsTo(port) === 0);
});
