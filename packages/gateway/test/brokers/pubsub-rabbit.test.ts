import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/shared';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestConfig, type TestGateway } from '../support/gateway.js';

const RABBIT = 'amqp://guest:guest@127.0.0.1:5672';
const id = randomUUID().slice(0, 8);
const exchange = `swy-pubsub-${id}`;
const published = `swy-pubsub-published-${id}`;
const subscribed = `swy-pubsub-subscribed-${id}`;

const publisher = (topicUrl: string) => ({
  host: ['rabbit://'],
  url_pattern: '',
  extra_config: { 'backend/pubsub/publisher': { topic_url: topicUrl } },
});
const subscriber = (subscriptionUrl: string) => ({
  host: ['rabbit://'],
  url_pattern: '',
  extra_config: { 'backend/pubsub/subscriber': { subscription_url: subscriptionUrl } },
});

/** Polls a condition on the broker (bounded). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe('backend/pubsub/publisher and subscriber (rabbit://, RabbitMQ)', () => {
  let conn: ChannelModel;
  let ch: Channel;
  let gw: TestGateway;

  beforeAll(async () => {
    conn = await amqp.connect(RABBIT);
    ch = await conn.createChannel();
    // gocloud's rabbitpubsub declares nothing: the exchange and the queues exist before.
    await ch.assertExchange(exchange, 'direct', { durable: false });
    await ch.assertQueue(published, { durable: false });
    await ch.bindQueue(published, exchange, 'orders');
    await ch.assertQueue(subscribed, { durable: false });
    process.env.RABBIT_SERVER_URL = RABBIT;
    gw = await startGateway({
      timeout: '1s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/publish',
          method: 'POST',
          input_headers: ['X-Tenant', 'X-Route'],
          backend: [publisher(`${exchange}?key_name=X-Route`)],
        },
        { endpoint: '/publish-missing', method: 'POST', backend: [publisher(`swy-none-${id}`)] },
        { endpoint: '/subscribe', backend: [subscriber(`${subscribed}?prefetch_count=2`)] },
        { endpoint: '/bad-param', method: 'POST', backend: [publisher(`${exchange}?routing_key=x`)] },
      ],
    });
    await eventually(async () => (await ch.checkQueue(subscribed)).consumerCount === 1);
  });

  /** The next message of the queue, waiting for one (bounded). */
  async function getOne(q: string): Promise<GetMessage> {
    for (let i = 0; i < 600; i++) {
      const msg = await ch.get(q, { noAck: true });
      if (msg) return msg;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`nothing in ${q}`);
  }

  afterAll(async () => {
    await gw?.close();
    for (const q of [published, subscribed]) await ch.deleteQueue(q).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await conn?.close();
  });

  it('publishes to the exchange once confirmed: metadata as headers, key_name as the routing key', async () => {
    const answer = await send(gw.port, '/publish', {
      method: 'POST',
      headers: { 'X-Tenant': 'acme', 'X-Route': 'orders' },
      body: '{"n":1}',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    const got = await getOne(published);
    expect(got.content.toString()).toBe('{"n":1}');
    expect(got.fields.routingKey).toBe('orders');
    expect(got.properties.headers).toMatchObject({ 'X-Tenant': 'acme' });
    expect(got.properties.headers).not.toHaveProperty('X-Route');
  });

  it('fails a message no queue takes (mandatory, returned) with a 500, as gocloud does', async () => {
    const answer = await send(gw.port, '/publish', {
      method: 'POST',
      headers: { 'X-Route': 'nowhere' },
      body: '{}',
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toContain('the message was returned unroutable');
    // The channel stays usable.
    const next = await send(gw.port, '/publish', {
      method: 'POST',
      headers: { 'X-Route': 'orders' },
      body: '{}',
    });
    expect(next.status).toBe(200);
    await getOne(published);
  });

  it('fails a message to an exchange that does not exist with a 500', async () => {
    const answer = await send(gw.port, '/publish-missing', { method: 'POST', body: '{}' });
    expect(answer.status).toBe(500);
  });

  it('answers one message of the queue per request, acknowledged; waits until the timeout when none comes', async () => {
    ch.sendToQueue(subscribed, Buffer.from('{"id":1}'));
    ch.sendToQueue(subscribed, Buffer.from('{"id":2}'));
    const first = await send(gw.port, '/subscribe');
    const second = await send(gw.port, '/subscribe');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([JSON.parse(first.body), JSON.parse(second.body)]).toEqual([{ id: 1 }, { id: 2 }]);
    const empty = await send(gw.port, '/subscribe');
    expect(empty.status).toBe(500);
    expect(empty.body).toBe('context deadline exceeded');
    // Both were acknowledged: none is left unacked or back in the queue.
    expect((await ch.checkQueue(subscribed)).messageCount).toBe(0);
  });

  it('leaves a topic URL with a query parameter gocloud does not know unserved (500)', async () => {
    const answer = await send(gw.port, '/bad-param', { method: 'POST', body: '{}' });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('');
  });

  it('answers 500 (SWY_BROKER_UNAVAILABLE) when the server is down at request time, without its password', async () => {
    const saved = process.env.RABBIT_SERVER_URL;
    process.env.RABBIT_SERVER_URL = `amqp://guest:hunter2@127.0.0.1:${await closedPort()}`;
    const down = await startGateway({
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        { endpoint: '/publish', method: 'POST', backend: [publisher(exchange)] },
        { endpoint: '/subscribe', backend: [subscriber(subscribed)] },
      ],
    });
    process.env.RABBIT_SERVER_URL = saved;
    try {
      for (const [path, method] of [
        ['/publish', 'POST'],
        ['/subscribe', 'GET'],
      ] as const) {
        const answer = await send(down.port, path, { method, body: method === 'POST' ? '{}' : undefined });
        expect(answer.status).toBe(500);
        expect(answer.body).toContain('connection not available, trying to reconnect');
        expect(answer.body).not.toContain('hunter2');
      }
    } finally {
      await down.close();
    }
  });

  it('without RABBIT_SERVER_URL leaves the endpoints unserved (500) and says why', async () => {
    const saved = process.env.RABBIT_SERVER_URL;
    delete process.env.RABBIT_SERVER_URL;
    const log: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        log.push(String(chunk));
        done();
      },
    });
    const config: TestConfig = {
      endpoints: [
        { endpoint: '/publish', method: 'POST', backend: [publisher(exchange)] },
        { endpoint: '/subscribe', backend: [subscriber(subscribed)] },
      ],
    };
    const unset = await startGateway(config, { logger: createLogger({ level: 'warn', destination }) });
    process.env.RABBIT_SERVER_URL = saved;
    try {
      expect((await send(unset.port, '/publish', { method: 'POST', body: '{}' })).status).toBe(500);
      expect((await send(unset.port, '/subscribe')).status).toBe(500);
      expect(log.filter((l) => l.includes('needs the RABBIT_SERVER_URL environment variable'))).toHaveLength(
        2,
      );
    } finally {
      await unset.close();
    }
  });
});
