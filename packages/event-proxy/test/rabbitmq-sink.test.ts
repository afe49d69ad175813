import { createServer } from 'node:net';
import type { RabbitTarget } from '@switchyard/config';
import { createLogger, type Envelope, isSwitchyardError } from '@switchyard/shared';
import amqp, { type ConsumeMessage } from 'amqplib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRabbitSink, type RabbitSinkDeps } from '../src/sinks/rabbitmq.js';
import type { Sink } from '../src/sinks/sink.js';
import {
  closeConnectionsNamed,
  consumeExchange,
  RABBITMQ_URL,
  type RabbitConsumer,
  uniqueName,
} from './support/rabbitmq.js';
import { sampleEvents } from './support/sample-events.js';
import { startTcpRelay, type TcpRelay } from './support/tcp-relay.js';
import { failureOf, until } from './support/wait.js';

const logger = createLogger({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function sinkFor(
  overrides: Partial<RabbitTarget> & { exchange: string },
  deps: Partial<RabbitSinkDeps> = {},
): Sink {
  const sink = createRabbitSink(
    { url: RABBITMQ_URL, exchange_type: 'topic', retry_max: 0, ...overrides },
    {
      logger,
      ...deps,
    },
  );
  cleanups.push(() => sink.close());
  return sink;
}

async function consumer(exchange: string, options: { pattern?: string } = {}): Promise<RabbitConsumer> {
  const c = await consumeExchange(exchange, options);
  cleanups.push(() => c.close());
  return c;
}

// The sink reconnects on its own, with backoff: up to this long.
const RECONNECT_MS = 15_000;

function expectMessage(
  message: ConsumeMessage | undefined,
  event: Envelope,
  exchange: string,
  routingKey: string,
) {
  expect(message).toBeDefined();
  if (!message) return;
  expect(JSON.parse(message.content.toString('utf8'))).toStrictEqual(event);
  expect(message.fields.exchange).toBe(exchange);
  expect(message.fields.routingKey).toBe(routingKey);
  expect(message.properties.deliveryMode).toBe(2);
  expect(message.properties.contentType).toBe('application/json');
  expect(message.properties.messageId).toBe(event.id);
  expect(message.properties.type).toBe(event.event_type);
  expect(message.properties.timestamp).toBe(event.timestamp);
  expect(message.properties.headers).toMatchObject({ event_type: event.event_type });
}

describe('rabbitmq sink', () => {
  it('delivers 200 events in batches as persistent JSON messages, read back field by field and in order', async () => {
    const exchange = uniqueName('events');
    const queue = await consumer(exchange);
    const sink = sinkFor({ exchange });
    await sink.start();
    expect(sink.ready()).toBe(true);
    const events = sampleEvents(200, 'amqp');
    for (let i = 0; i < events.length; i += 50) {
      expect(await sink.send(events.slice(i, i + 50))).toEqual({ rejected: [] });
    }
    const messages = await queue.waitFor(events.length);
    expect(messages).toHaveLength(events.length);
    events.forEach((event, i) => {
      expectMessage(messages[i], event, exchange, event.event_type);
    });
  });

  it('routes by the routing_key template with {event_type}', async () => {
    const exchange = uniqueName('routed');
    const requests = await consumer(exchange, { pattern: 'events.request' });
    const all = await consumer(exchange, { pattern: 'events.#' });
    const sink = sinkFor({ exchange, routing_key: 'events.{event_type}' });
    await sink.start();
    const events = sampleEvents(20, 'routed');
    expect(await sink.send(events)).toEqual({ rejected: [] });
    const wanted = events.filter((e) => e.event_type === 'request');
    const got = await requests.waitFor(wanted.length);
    wanted.forEach((event, i) => {
      expectMessage(got[i], event, exchange, 'events.request');
    });
    const everything = await all.waitFor(events.length);
    events.forEach((event, i) => {
      expectMessage(everything[i], event, exchange, `events.${event.event_type}`);
    });
    expect(requests.messages).toHaveLength(wanted.length);
  });

  it('fails a batch retryably when the broker nacks a message', async () => {
    const exchange = uniqueName('nack');
    // A queue that refuses (nacks) publishes once it holds one message.
    const connection = await amqp.connect(RABBITMQ_URL);
    cleanups.push(() => connection.close());
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    cleanups.push(() => channel.deleteExchange(exchange));
    const { queue } = await channel.assertQueue(uniqueName('full'), {
      exclusive: true,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    await channel.bindQueue(queue, exchange, '#');

    const sink = sinkFor({ exchange });
    await sink.start();
    const failure = await failureOf(sink.send(sampleEvents(3, 'nack')));
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(isSwitchyardError(failure) && failure.retryable).toBe(true);
    expect(String((failure as Error).message)).toMatch(/nack/i);
    expect(sink.ready()).toBe(true);
  });

  it('fails the in-flight batch retryably when the server closes the connection, then reconnects and re-sends', async () => {
    const exchange = uniqueName('forced');
    const queue = await consumer(exchange);
    const relay: TcpRelay = await startTcpRelay({ host: '127.0.0.1', port: 5672 });
    cleanups.push(() => relay.close());
    const connectionName = uniqueName('sink');
    const sink = sinkFor({ exchange, url: `amqp://guest:guest@127.0.0.1:${relay.port}` }, { connectionName });
    await sink.start();
    const first = sampleEvents(10, 'first');
    expect(await sink.send(first)).toEqual({ rejected: [] });

    // Hold the publishes in the relay, so the batch is still unconfirmed when the server closes; and keep the
    // broker unreachable for new connections until the failure has been seen.
    relay.hold();
    relay.refuseNew(true);
    const second = sampleEvents(10, 'second');
    const inFlight = failureOf(sink.send(second));
    const closing = closeConnectionsNamed(connectionName);
    const failure = await inFlight;
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(isSwitchyardError(failure) && failure.retryable).toBe(true);
    expect(sink.ready()).toBe(false);
    const whileDown = await failureOf(sink.send(second));
    expect(isSwitchyardError(whileDown, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(sink.ready()).toBe(false);

    // The server finishes its close once the client's close-ok gets through.
    relay.release();
    expect(await closing).toBe(1);
    relay.refuseNew(false);
    await until(() => sink.ready(), RECONNECT_MS, 20);
    expect(await sink.send(second)).toEqual({ rejected: [] });

    // At least once: the broker may have routed the first attempt of `second` before it closed.
    const sent = [...first, ...second];
    await queue.waitFor(sent.length);
    await until(
      () => new Set(queue.messages.map((m) => m.properties.messageId)).size === sent.length,
      RECONNECT_MS,
      20,
    );
    const byId = new Map(queue.messages.map((m) => [m.properties.messageId as string, m]));
    for (const event of sent) expectMessage(byId.get(event.id), event, exchange, event.event_type);
  });

  it('republishes on a new connection within retry_max when the connection is lost mid-batch', async () => {
    const exchange = uniqueName('retried');
    const queue = await consumer(exchange);
    const relay = await startTcpRelay({ host: '127.0.0.1', port: 5672 });
    cleanups.push(() => relay.close());
    const connectionName = uniqueName('sink');
    let retried = 0;
    const sink = sinkFor(
      { exchange, url: `amqp://guest:guest@127.0.0.1:${relay.port}`, retry_max: 3 },
      {
        connectionName,
        onRetry: (n) => {
          retried += n;
        },
      },
    );
    await sink.start();

    // Publishes (and, after the close, the new connection's handshake) wait in the relay until released.
    relay.hold();
    const events = sampleEvents(10, 'retried');
    const sending = sink.send(events);
    const closing = closeConnectionsNamed(connectionName);
    await until(() => !sink.ready(), RECONNECT_MS, 20);
    relay.release();
    expect(await sending).toEqual({ rejected: [] });
    expect(await closing).toBe(1);
    // The batch was tried again (possibly more than once while the new connection came up).
    expect(retried).toBeGreaterThanOrEqual(events.length);
    expect(retried % events.length).toBe(0);

    await queue.waitFor(events.length);
    const byId = new Map(queue.messages.map((m) => [m.properties.messageId as string, m]));
    for (const event of events) expectMessage(byId.get(event.id), event, exchange, event.event_type);
  });

  it('a send waiting to reconnect gives up as soon as the sink is closed', async () => {
    const exchange = uniqueName('paused');
    const relay = await startTcpRelay({ host: '127.0.0.1', port: 5672 });
    cleanups.push(() => relay.close());
    const connectionName = uniqueName('sink');
    const sink = sinkFor(
      { exchange, url: `amqp://guest:guest@127.0.0.1:${relay.port}`, retry_max: 5 },
      { connectionName, reconnectBackoff: { initialMs: 120_000, maxMs: 120_000 } },
    );
    await sink.start();
    relay.refuseNew(true);
    // The jitter picks the middle: the next connection attempt is a minute away, past the test's timeout.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(await closeConnectionsNamed(connectionName)).toBe(1);
      await until(() => !sink.ready(), RECONNECT_MS, 20);
    } finally {
      random.mockRestore();
    }
    const outcome = failureOf(sink.send(sampleEvents(1, 'paused')));
    await new Promise((r) => setTimeout(r, 100));
    await sink.close();
    expect(await outcome).toMatchObject({ code: 'SWY_SINK_UNAVAILABLE', retryable: true });
    expect(String(((await outcome) as Error).message)).toMatch(/reconnecting in \d+ ms/);
  });

  it("fails start with the broker's reason when the exchange exists with another type", async () => {
    const exchange = uniqueName('typed');
    const queue = await consumer(exchange); // declares it as a topic exchange
    const sink = sinkFor({ exchange, exchange_type: 'fanout' });
    const failure = await failureOf(sink.start());
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(String((failure as Error).message)).toMatch(/PRECONDITION_FAILED/);
    expect(sink.ready()).toBe(false);
    expect(queue.messages).toHaveLength(0);
  });

  it('fails start retryably when nothing listens at the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const sink = sinkFor({ exchange: uniqueName('down'), url: `amqp://guest:guest@127.0.0.1:${port}` });
    const failure = await failureOf(sink.start());
    expect(isSwitchyardError(failure, 'SWY_SINK_UNAVAILABLE')).toBe(true);
    expect(sink.ready()).toBe(false);
    const sendFailure = await failureOf(sink.send(sampleEvents(1, 'down')));
    expect(isSwitchyardError(sendFailure) && sendFailure.retryable).toBe(true);
  });
});
