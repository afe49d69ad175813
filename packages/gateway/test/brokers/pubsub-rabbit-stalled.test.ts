import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const RABBIT = 'amqp://guest:guest@127.0.0.1:5672';
const id = randomUUID().slice(0, 8);
const exchange = `swy-stalled-${id}`;
const queue = `swy-stalled-q-${id}`;

/**
 * A loopback TCP relay to RabbitMQ whose broker-to-gateway direction can be held: the broker gets what
 * the gateway publishes, the gateway gets no confirm until `release`.
 */
function relay(): Promise<{ server: Server; port: number; hold(): void; release(): void }> {
  let holding = false;
  const held: Array<() => void> = [];
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = tcpConnect(5672, '127.0.0.1');
    sockets.push(client, upstream);
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => {
      if (holding) held.push(() => client.write(d));
      else client.write(d);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as { port: number }).port,
        hold: () => {
          holding = true;
        },
        release: () => {
          holding = false;
          for (const write of held.splice(0)) write();
        },
      }),
    ),
  );
}

describe('backend/pubsub/publisher rabbit:// while the broker does not confirm', () => {
  let conn: ChannelModel;
  let ch: Channel;
  let gw: TestGateway;
  let proxy: Awaited<ReturnType<typeof relay>>;

  beforeAll(async () => {
    conn = await amqp.connect(RABBIT);
    ch = await conn.createChannel();
    await ch.assertExchange(exchange, 'fanout', { durable: false });
    await ch.assertQueue(queue, { durable: false });
    await ch.bindQueue(queue, exchange, '');
    proxy = await relay();
    process.env.RABBIT_SERVER_URL = `amqp://guest:guest@127.0.0.1:${proxy.port}`;
    gw = await startGateway({
      timeout: '300ms',
      endpoints: [
        {
          endpoint: '/publish',
          method: 'POST',
          backend: [
            {
              host: ['rabbit://'],
              url_pattern: '',
              extra_config: { 'backend/pubsub/publisher': { topic_url: exchange } },
            },
          ],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    proxy?.server.close();
    await ch.deleteQueue(queue).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await conn?.close();
  });

  async function messages(): Promise<number> {
    return (await ch.checkQueue(queue)).messageCount;
  }

  it('does not publish a message whose request ended while it waited for its turn', async () => {
    expect((await send(gw.port, '/publish', { method: 'POST', body: '{"n":0}' })).status).toBe(200);
    proxy.hold();
    const first = send(gw.port, '/publish', { method: 'POST', body: '{"n":1}' });
    // The first message is at the broker, its confirm held: the next request waits behind it.
    for (let i = 0; i < 400 && (await messages()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await messages()).toBe(2);
    const second = await send(gw.port, '/publish', { method: 'POST', body: '{"n":2}' });
    expect(second.status).toBe(500);
    expect((await first).status).toBe(500);
    proxy.release();
    // Messages are published in order: once this one is confirmed, a late second one would be in too.
    expect((await send(gw.port, '/publish', { method: 'POST', body: '{"n":3}' })).status).toBe(200);
    const bodies: unknown[] = [];
    for (let msg = await ch.get(queue, { noAck: true }); msg; msg = await ch.get(queue, { noAck: true }))
      bodies.push(JSON.parse(msg.content.toString()));
    expect(bodies).toEqual([{ n: 0 }, { n: 1 }, { n: 3 }]);
  });
});
