import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { capturingLogger } from '../support/logs.js';

const RABBIT = 'amqp://guest:guest@127.0.0.1:5672';
const id = randomUUID().slice(0, 8);
const exchange = `swy-oversize-${id}`;
const consumed = `swy-oversize-amqp-${id}`;
const subscribed = `swy-oversize-rabbit-${id}`;
const deadLetters = `swy-oversize-dlx-${id}`;
const deadQueue = `swy-oversize-dead-${id}`;
const LIMIT = 64;
const big = JSON.stringify({ secret: 'x'.repeat(200) });

/** Polls a condition on the broker (bounded). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe('a consumed message over max_body_bytes does not wedge its queue (RabbitMQ)', () => {
  let conn: ChannelModel;
  let ch: Channel;
  let gw: TestGateway;
  const { logger, lines } = capturingLogger('warn');

  beforeAll(async () => {
    conn = await amqp.connect(RABBIT);
    ch = await conn.createChannel();
    // rabbit:// consumes a queue that exists: this one dead-letters what is nacked without requeue.
    await ch.assertExchange(deadLetters, 'fanout', { durable: false });
    await ch.assertQueue(deadQueue, { durable: false });
    await ch.bindQueue(deadQueue, deadLetters, '');
    await ch.assertQueue(subscribed, { durable: false, deadLetterExchange: deadLetters });
    process.env.RABBIT_SERVER_URL = RABBIT;
    const limited = { 'switchyard/backend': { max_body_bytes: LIMIT } };
    gw = await startGateway(
      {
        timeout: '1s',
        extra_config: { router: { return_error_msg: true } },
        endpoints: [
          {
            endpoint: '/amqp',
            backend: [
              {
                host: [RABBIT],
                url_pattern: '',
                extra_config: {
                  // Without nack_discard an undecodable message is requeued; one over the limit is not.
                  'backend/amqp/consumer': {
                    name: consumed,
                    exchange,
                    routing_key: ['big'],
                    durable: false,
                    delete: false,
                  },
                  ...limited,
                },
              },
            ],
          },
          {
            endpoint: '/rabbit',
            backend: [
              {
                host: ['rabbit://'],
                url_pattern: '',
                extra_config: {
                  'backend/pubsub/subscriber': { subscription_url: subscribed },
                  ...limited,
                },
              },
            ],
          },
        ],
      },
      { logger },
    );
    for (const q of [consumed, subscribed])
      await eventually(async () => (await probe(q)).consumerCount === 1);
  });

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

  afterAll(async () => {
    await gw?.close();
    for (const q of [consumed, subscribed, deadQueue]) await ch.deleteQueue(q).catch(() => {});
    for (const x of [exchange, deadLetters]) await ch.deleteExchange(x).catch(() => {});
    await conn?.close();
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

  const dropLogs = () => lines.filter((l) => l.includes('over max_body_bytes dropped'));

  it('rabbit://: the request fails with SWY_BACKEND_BODY_TOO_LARGE, the message goes to the dead-letter exchange, the next is served', async () => {
    ch.sendToQueue(subscribed, Buffer.from(big));
    ch.sendToQueue(subscribed, Buffer.from('{"ok":1}'));
    const first = await send(gw.port, '/rabbit');
    expect(first.status).toBe(500);
    expect(first.body).toBe(
      `backend amqp://guest:***@127.0.0.1:5672 queue ${subscribed} answered more than ${LIMIT} bytes (max_body_bytes)`,
    );
    const next = await send(gw.port, '/rabbit');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ ok: 1 });
    // Nacked without requeue: dead-lettered, not back at the head of the queue.
    expect((await getOne(deadQueue)).content.toString()).toBe(big);
    await eventually(async () => (await probe(subscribed)).messageCount === 0);
    const logged = dropLogs().filter((l) => l.includes(subscribed));
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('xxxx');
    expect(JSON.parse(logged[0] as string)).toMatchObject({ queue: subscribed, bytes: big.length });
  });

  it('backend/amqp/consumer: the message over the limit is dropped even without nack_discard, the next is served', async () => {
    ch.publish(exchange, 'big', Buffer.from(big));
    ch.publish(exchange, 'big', Buffer.from('{"ok":2}'));
    const first = await send(gw.port, '/amqp');
    expect(first.status).toBe(500);
    expect(first.body).toContain(`answered more than ${LIMIT} bytes (max_body_bytes)`);
    const next = await send(gw.port, '/amqp');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ ok: 2 });
    await eventually(async () => (await probe(consumed)).messageCount === 0);
    const empty = await send(gw.port, '/amqp');
    expect(empty.body).toBe('context deadline exceeded');
    const logged = dropLogs().filter((l) => l.includes(consumed));
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('xxxx');
  });
});
