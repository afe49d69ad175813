import { join } from 'node:path';
import { type RunningSwitchyard, startRun } from '@switchyard/cli';
import type { EventProxySettings } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import type { Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { HttpReceiver } from '../../packages/event-proxy/test/support/http-receiver.js';
import {
  consumeExchange,
  RABBITMQ_URL,
  type RabbitConsumer,
  uniqueName,
} from '../../packages/event-proxy/test/support/rabbitmq.js';
import { readRecords } from '../../packages/kafka/test/support/kafka-consumer.js';
import { type KafkaMock, startKafkaMock } from '../../packages/kafka/test/support/kafka-mock.js';
import {
  type Backend,
  expectRequestResponse,
  gatewayConfig,
  proxySettings,
  readNdjson,
  sendUserRequests,
  silent,
  startBackend,
  tempDir,
  testIO,
  until,
  writeJson,
} from './support/switchyard.js';

// Requests through the gateway arrive as `request` + `response` events on each sink, in both wirings:
// in one process (`switchyard run`'s wiring, the hub handing events over in memory) and in two parts (the
// gateway alone, the event proxy reading its admin SSE stream with GATEWAY_ADMIN_URL).

const REQUESTS = 5;
const tmp = tempDir('delivery');
let backend: Backend;
let kafka: KafkaMock;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  backend = await startBackend();
  kafka = await startKafkaMock({ brokers: 1 });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await kafka?.close();
  await backend?.close();
  tmp.cleanup();
});

const isRequestOrResponse = (e: unknown) =>
  (e as Envelope).event_type === 'request' || (e as Envelope).event_type === 'response';

interface SinkUnderTest {
  target: EventProxySettings['target'];
  /** Resolves with what the sink's peer received once it holds `count` request/response events. */
  read(count: number): Promise<unknown[]>;
}

const sinks: Record<string, (name: string) => Promise<SinkUnderTest>> = {
  async kafka(name) {
    const topic = `events-${name}`;
    return {
      target: { type: 'kafka', kafka: { brokers: kafka.brokers, topic, timeout_ms: 5000 } } as never,
      read: async (count) =>
        (await readRecords(kafka.bootstrap, [topic], count, 20_000))
          .map((r) => r.value)
          .filter(isRequestOrResponse),
    };
  },
  async rabbitmq(name) {
    const exchange = uniqueName(`e2e-${name}`);
    const consumer: RabbitConsumer = await consumeExchange(exchange);
    cleanups.push(() => consumer.close());
    return {
      target: { type: 'rabbitmq', rabbitmq: { url: RABBITMQ_URL, exchange } } as never,
      read: async (count) => {
        await until(
          () =>
            consumer.messages.map((m) => JSON.parse(m.content.toString('utf8'))).filter(isRequestOrResponse)
              .length >= count,
          `${count} events on RabbitMQ`,
        );
        return consumer.messages
          .map((m) => JSON.parse(m.content.toString('utf8')))
          .filter(isRequestOrResponse);
      },
    };
  },
  async http() {
    const receiver = new HttpReceiver();
    const url = await receiver.start();
    cleanups.push(() => receiver.stop());
    return {
      target: { type: 'http', http: { url: `${url}/events` } } as never,
      read: async (count) => {
        await until(
          () => receiver.events().filter(isRequestOrResponse).length >= count,
          `${count} events over HTTP`,
        );
        return receiver.events().filter(isRequestOrResponse);
      },
    };
  },
  async file(name) {
    const path = join(tmp.dir, `${name}.ndjson`);
    return {
      target: { type: 'file', file: { path } } as never,
      read: async (count) => {
        await until(
          () => readNdjson(path).filter(isRequestOrResponse).length >= count,
          `${count} events in the file`,
        );
        return readNdjson(path).filter(isRequestOrResponse);
      },
    };
  },
};

const args = (file: string) => ({ file, debug: false, port: 0, adminListen: '127.0.0.1:0' });

/** The gateway (and, in process, the proxy) as `switchyard run` wires them. */
async function run(file: string, proxy: EventProxySettings | null): Promise<RunningSwitchyard> {
  const running = await startRun(args(file), testIO(), { proxy, host: '127.0.0.1', logger: silent() });
  if (!running) throw new Error('the gateway file was refused');
  cleanups.push(() => running.close());
  return running;
}

const base = (r: RunningSwitchyard) => `http://127.0.0.1:${r.gateway.address?.port}`;

describe.each(Object.keys(sinks))('events to %s', (sinkName) => {
  it('in one process: each request arrives as a request and a response event', async () => {
    const name = `${sinkName}-inproc`;
    const sink = await (sinks[sinkName] as (n: string) => Promise<SinkUnderTest>)(name);
    const file = writeJson(join(tmp.dir, `${name}.json`), gatewayConfig(backend.url));
    const running = await run(
      file,
      proxySettings(tmp.dir, sink.target, { dead_letter: { path: join(tmp.dir, `${name}.dead`) } }),
    );
    const paths = await sendUserRequests(base(running), REQUESTS);
    expectRequestResponse(await sink.read(2 * REQUESTS), paths, backend.url);
    await running.close();
  });

  it('in two parts: the event proxy reads the gateway admin stream and delivers the same events', async () => {
    const name = `${sinkName}-stream`;
    const sink = await (sinks[sinkName] as (n: string) => Promise<SinkUnderTest>)(name);
    const file = writeJson(join(tmp.dir, `${name}.json`), gatewayConfig(backend.url));
    const gateway = await run(file, null);
    const admin = gateway.gateway.adminAddress?.url as string;
    const proxy: EventProxy = createEventProxy(
      proxySettings(tmp.dir, sink.target, {
        gateway: { admin_url: admin },
        spool: { enabled: true, dir: join(tmp.dir, `${name}.spool`) },
        dead_letter: { path: join(tmp.dir, `${name}.dead`) },
      }),
      { logger: silent() },
    );
    cleanups.push(() => proxy.close({ deadlineMs: 1000 }));
    await proxy.start();
    // The gateway records events once a consumer is attached.
    await until(() => gateway.gateway.events.subscribers > 0, 'the proxy to attach to the event stream');
    const paths = await sendUserRequests(base(gateway), REQUESTS);
    expectRequestResponse(await sink.read(2 * REQUESTS), paths, backend.url);
    await proxy.close({ deadlineMs: 2000 });
    await gateway.close();
  });
});
