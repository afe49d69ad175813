import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const NATS = 'nats://127.0.0.1:4222';
const subject = `swy.test.${randomUUID().slice(0, 8)}`;

describe('backend/pubsub/publisher and subscriber (NATS, mem)', () => {
  let nc: NatsConnection;
  let gw: TestGateway;

  beforeAll(async () => {
    // gocloud.dev reads the NATS server from the environment, and so does the gateway.
    process.env.NATS_SERVER_URL = NATS;
    nc = await connect({ servers: NATS });
    const pubsub = (ns: string, key: string, url: string) => ({
      host: [ns],
      url_pattern: '',
      extra_config: {
        [`backend/pubsub/${key}`]: { [key === 'publisher' ? 'topic_url' : 'subscription_url']: url },
      },
    });
    gw = await startGateway({
      timeout: '1s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/publish',
          method: 'POST',
          input_headers: ['Content-Type', 'X-Tenant'],
          backend: [pubsub('nats://', 'publisher', `${subject}.out`)],
        },
        { endpoint: '/subscribe', backend: [pubsub('nats://', 'subscriber', `${subject}.in`)] },
        { endpoint: '/mem/publish', method: 'POST', backend: [pubsub('mem://', 'publisher', 'events')] },
        { endpoint: '/mem/subscribe', backend: [pubsub('mem://', 'subscriber', 'events')] },
        { endpoint: '/mem/big/publish', method: 'POST', backend: [pubsub('mem://', 'publisher', 'big')] },
        {
          endpoint: '/mem/big/subscribe',
          backend: [
            {
              ...pubsub('mem://', 'subscriber', 'big'),
              extra_config: {
                ...pubsub('mem://', 'subscriber', 'big').extra_config,
                'switchyard/backend': { max_body_bytes: 64 },
              },
            },
          ],
        },
        {
          endpoint: '/unknown',
          backend: [pubsub('gcppubsub://', 'subscriber', 'projects/p/subscriptions/s')],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await nc?.close();
  });

  it('publishes the body to the NATS subject with the forwarded headers, answering {}', async () => {
    const received = new Promise<{ data: string; tenant: string | undefined }>((resolve) => {
      const sub = nc.subscribe(`${subject}.out`, {
        max: 1,
        callback: (_err, msg) => resolve({ data: msg.string(), tenant: msg.headers?.get('X-Tenant') }),
      });
      void sub;
    });
    await nc.flush();
    const answer = await send(gw.port, '/publish', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant': 'acme' },
      body: '{"n":1}',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    expect(await received).toEqual({ data: '{"n":1}', tenant: 'acme' });
  });

  it('answers a message over the server max_payload with a 500, the refusal named, sending nothing', async () => {
    let received = 0;
    const sub = nc.subscribe(`${subject}.out`, { callback: () => received++ });
    await nc.flush();
    const answer = await send(gw.port, '/publish', {
      method: 'POST',
      body: Buffer.alloc(nc.info?.max_payload ?? 1024 * 1024, 'a'),
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(`nats://${subject}.out: the message was refused`);
    // A message sent after it is the first the subject gets.
    const ok = await send(gw.port, '/publish', { method: 'POST', body: '{}' });
    expect(ok.status).toBe(200);
    await nc.flush();
    sub.unsubscribe();
    expect(received).toBe(1);
  });

  it('answers one NATS message per request, decoded; waits until the timeout (500) when none comes', async () => {
    // The subscription is made as routes are built; wait until the server has it.
    for (let i = 0; i < 100; i++) {
      nc.publish(`${subject}.in`, JSON.stringify({ probe: i }));
      await nc.flush();
      const got = await send(gw.port, '/subscribe');
      if (got.status === 200) break;
    }
    nc.publish(`${subject}.in`, JSON.stringify({ id: 1 }));
    nc.publish(`${subject}.in`, JSON.stringify({ id: 2 }));
    await nc.flush();
    // Any probe still held is answered first.
    const bodies: unknown[] = [];
    for (let i = 0; i < 200 && !bodies.some((b) => (b as { id?: number }).id === 2); i++) {
      const got = await send(gw.port, '/subscribe');
      expect(got.status).toBe(200);
      bodies.push(JSON.parse(got.body));
    }
    expect(bodies.filter((b) => 'id' in (b as object))).toEqual([{ id: 1 }, { id: 2 }]);
    const empty = await send(gw.port, '/subscribe');
    expect(empty.status).toBe(500);
    expect(empty.body).toBe('context deadline exceeded');
  });

  it('mem:// topics deliver inside the gateway', async () => {
    const waiting = send(gw.port, '/mem/subscribe');
    // The subscriber already exists (made at build): a message published now reaches the waiting request.
    await new Promise((r) => setTimeout(r, 50));
    const published = await send(gw.port, '/mem/publish', { method: 'POST', body: '{"m":true}' });
    expect(published.status).toBe(200);
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toEqual({ m: true });
  });

  it('does not decode a message over the backend max_body_bytes: 500 as an HTTP answer over it', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(200) });
    expect((await send(gw.port, '/mem/big/publish', { method: 'POST', body: big })).status).toBe(200);
    expect((await send(gw.port, '/mem/big/publish', { method: 'POST', body: '{"ok":true}' })).status).toBe(
      200,
    );
    const refused = await send(gw.port, '/mem/big/subscribe');
    expect(refused.status).toBe(500);
    expect(refused.body).toBe('backend mem://big answered more than 64 bytes (max_body_bytes)');
    const next = await send(gw.port, '/mem/big/subscribe');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ ok: true });
  });

  it('leaves an endpoint with a scheme it does not open unserved (500)', async () => {
    const answer = await send(gw.port, '/unknown');
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('');
  });
});
