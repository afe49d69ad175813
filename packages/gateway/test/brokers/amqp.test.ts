import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const RABBIT = 'amqp://guest:guest@127.0.0.1:5672';
const id = randomUUID().slice(0, 8);
const exchange = `swy-test-${id}`;
const queue = `swy-consume-${id}`;
const badQueue = `swy-bad-${id}`;
const discardQueue = `swy-discard-${id}`;
const bigQueue = `swy-big-${id}`;
const produced = `swy-produced-${id}`;

const consumer = (name: string, key: string, extra: Record<string, unknown> = {}) => ({
  name,
  exchange,
  routing_key: [key],
  durable: false,
  delete: false,
  ...extra,
});

describe('backend/amqp/consumer and backend/amqp/producer (RabbitMQ)', () => {
  let conn: ChannelModel;
  let ch: Channel;
  let gw: TestGateway;
  let down: number;

  const publish = (key: string, body: string) => ch.publish(exchange, key, Buffer.from(body));

  beforeAll(async () => {
    conn = await amqp.connect(RABBIT);
    ch = await conn.createChannel();
    down = await closedPort();
    await ch.assertExchange(exchange, 'topic', { durable: false });
    await ch.assertQueue(produced, { durable: false });
    await ch.bindQueue(produced, exchange, 'orders.*');
    gw = await startGateway({
      timeout: '1s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/consume',
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              allow: ['id', 'name'],
              mapping: { name: 'title' },
              extra_config: { 'backend/amqp/consumer': consumer(queue, 'consume.#', { prefetch_count: 2 }) },
            },
          ],
        },
        {
          endpoint: '/bad',
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              extra_config: { 'backend/amqp/consumer': consumer(badQueue, 'bad') },
            },
          ],
        },
        {
          endpoint: '/discard',
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              extra_config: {
                'backend/amqp/consumer': consumer(discardQueue, 'discard', { nack_discard: true }),
              },
            },
          ],
        },
        {
          endpoint: '/big',
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              extra_config: {
                'backend/amqp/consumer': consumer(bigQueue, 'big', { nack_discard: true }),
                'switchyard/backend': { max_body_bytes: 64 },
              },
            },
          ],
        },
        {
          endpoint: '/produce/{route}/{ttl}',
          method: 'POST',
          input_headers: ['Content-Type', 'X-Tenant'],
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              extra_config: {
                'backend/amqp/producer': {
                  name: 'unused',
                  exchange,
                  routing_key: 'Route',
                  exp_key: 'Ttl',
                  msg_id_key: 'Route',
                },
              },
            },
          ],
        },
      ],
    });
    // The gateway declares and binds its queues as it starts; publish only once they have their consumer.
    for (const q of [queue, badQueue, discardQueue, bigQueue])
      await eventually(async () => (await consumers(q)) === 1);
  });

  /** Polls a condition on the broker (bounded). */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not met in time');
  }

  /** checkQueue on a missing queue closes its channel: each probe uses a throwaway one. */
  async function probe(q: string): Promise<{ messageCount: number; consumerCount: number }> {
    const c = await conn.createChannel();
    c.on('error', () => {});
    try {
      return await c.checkQueue(q);
    } finally {
      await c.close().catch(() => {});
    }
  }
  const consumers = async (q: string) => (await probe(q)).consumerCount;

  afterAll(async () => {
    await gw?.close();
    for (const q of [queue, badQueue, discardQueue, bigQueue, produced])
      await ch.deleteQueue(q).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await conn.close();
  });

  it('answers one message per request, in order, decoded and filtered as an HTTP backend body', async () => {
    publish('consume.a', JSON.stringify({ id: 1, name: 'first', secret: 'x' }));
    publish('consume.b', JSON.stringify({ id: 2, name: 'second' }));
    const a = await send(gw.port, '/consume');
    const b = await send(gw.port, '/consume');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ id: 1, title: 'first' });
    expect(a.headers['x-krakend-completed']).toBe('true');
    expect(JSON.parse(b.body)).toEqual({ id: 2, title: 'second' });
    // Acknowledged: nothing is left in the queue.
    expect((await probe(queue)).messageCount).toBe(0);
  });

  it('waits for a message until the endpoint timeout, then answers 500 as KrakenD; a later message is not lost', async () => {
    const empty = await send(gw.port, '/consume');
    expect(empty.status).toBe(500);
    publish('consume.late', JSON.stringify({ id: 3 }));
    const late = await send(gw.port, '/consume');
    expect(late.status).toBe(200);
    expect(JSON.parse(late.body)).toEqual({ id: 3 });
  });

  it('answers 500 for an undecodable message and requeues it (nack), or drops it with nack_discard', async () => {
    publish('bad', 'not json');
    const first = await send(gw.port, '/bad');
    expect(first.status).toBe(500);
    expect(first.body).toMatch(/^Unexpected token/);
    // Requeued: the next request is handed the same message again.
    const again = await send(gw.port, '/bad');
    expect(again.status).toBe(500);
    expect(again.body).toMatch(/^Unexpected token/);
    publish('discard', 'not json');
    publish('discard', JSON.stringify({ ok: true }));
    expect((await send(gw.port, '/discard')).body).toMatch(/^Unexpected token/);
    const next = await send(gw.port, '/discard');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ ok: true });
  });

  it('a message over the backend max_body_bytes is not decoded: 500 as an HTTP answer over it, then nacked', async () => {
    publish('big', JSON.stringify({ text: 'x'.repeat(200) }));
    publish('big', JSON.stringify({ ok: true }));
    const big = await send(gw.port, '/big');
    expect(big.status).toBe(500);
    expect(big.body).toBe(
      `backend amqp://guest:***@127.0.0.1:5672 queue ${bigQueue} answered more than 64 bytes (max_body_bytes)`,
    );
    // nack_discard: the large message is gone, the next one is served.
    const next = await send(gw.port, '/big');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ ok: true });
  });

  it('publishes the body with the routing key, expiration and message id from params, and the forwarded headers', async () => {
    const answer = await send(gw.port, '/produce/orders.new/60000', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant': 'acme', 'X-Other': 'dropped' },
      body: '{"order":7}',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    const msg = await ch.get(produced, { noAck: true });
    if (!msg) throw new Error('no message published');
    expect(msg.content.toString()).toBe('{"order":7}');
    expect(msg.fields.routingKey).toBe('orders.new');
    expect(msg.fields.exchange).toBe(exchange);
    expect(msg.properties.contentType).toBe('application/json');
    expect(msg.properties.expiration).toBe('60000');
    expect(msg.properties.messageId).toBe('orders.new');
    expect(typeof msg.properties.timestamp).toBe('number');
    expect(msg.properties.headers?.['X-Tenant']).toEqual(['acme']);
    expect(msg.properties.headers?.['X-Other']).toBeUndefined();
    expect(msg.properties.headers?.['X-Forwarded-For']).toEqual(['127.0.0.1']);
  });

  it('a message the broker refuses fails its request (500) and the next request publishes on a new channel', async () => {
    // RabbitMQ closes the channel on an expiration that is not a number.
    const refused = await send(gw.port, '/produce/orders.x/soon', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(500);
    const ok = await send(gw.port, '/produce/orders.y/1000', { method: 'POST', body: '{"n":1}' });
    expect(ok.status).toBe(200);
    const msg = await ch.get(produced, { noAck: true });
    expect(msg ? msg.fields.routingKey : null).toBe('orders.y');
  });

  it('consumes again after the broker cancelled the consumer (its queue deleted and declared anew)', async () => {
    await ch.deleteQueue(queue);
    // The request that finds the consumer gone fails; the next ones declare the queue again.
    await eventually(async () => (await send(gw.port, '/consume')).status === 500);
    // The consumer is opened again by the next request that finds it gone; a request that raced the
    // cancel waited on the old one, so ask again until the queue has its consumer back.
    await eventually(async () => {
      if ((await consumers(queue).catch(() => 0)) === 1) return true;
      await send(gw.port, '/consume');
      return false;
    });
    publish('consume.again', JSON.stringify({ id: 4 }));
    const again = await send(gw.port, '/consume');
    expect(JSON.parse(again.body)).toEqual({ id: 4 });
  });

  it('answers 500 at once while the broker is down (not at the timeout), naming the broker without its password', async () => {
    const host = `amqp://guest:hunter2@127.0.0.1:${down}`;
    const broken = await startGateway({
      timeout: '20s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/down',
          backend: [
            {
              host: [host],
              url_pattern: '',
              extra_config: { 'backend/amqp/consumer': consumer(`never-${id}`, 'x') },
            },
          ],
        },
        {
          endpoint: '/down-produce',
          method: 'POST',
          backend: [
            {
              host: [host],
              url_pattern: '',
              extra_config: {
                'backend/amqp/producer': { name: 'x', exchange, routing_key: 'x', static_routing_key: true },
              },
            },
          ],
        },
      ],
    });
    try {
      for (const [path, method] of [
        ['/down', 'GET'],
        ['/down-produce', 'POST'],
      ] as const) {
        const answer = await send(broken.port, path, { method, body: method === 'POST' ? '{}' : undefined });
        expect(answer.status).toBe(500);
        expect(answer.body).toContain('connection not available, trying to reconnect');
        expect(answer.body).not.toContain('hunter2');
      }
    } finally {
      await broken.close();
    }
  });

  it('closes its consumers on stop (the queue has no consumer left)', async () => {
    const other = await startGateway({
      endpoints: [
        {
          endpoint: '/c',
          backend: [
            {
              host: [RABBIT],
              url_pattern: '',
              extra_config: { 'backend/amqp/consumer': consumer(queue, 'consume.#') },
            },
          ],
        },
      ],
    });
    await eventually(async () => (await consumers(queue)) === 2);
    await other.close();
    await eventually(async () => (await consumers(queue)) === 1);
  });
});
