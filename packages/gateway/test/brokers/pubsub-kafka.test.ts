import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Producer, RecordHeaders } from '@switchyard/kafka';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../../kafka/test/support/kafka-consumer.js';
import {
  ApiKey,
  KafkaErrorCode,
  type KafkaMock,
  startKafkaMock,
} from '../../../kafka/test/support/kafka-mock.js';
import { closedPort } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestConfig, type TestGateway } from '../support/gateway.js';

const id = randomUUID().slice(0, 8);
const topicOut = `swy-out-${id}`;
const topicIn = `swy-in-${id}`;

const publisher = (topicUrl: string) => ({
  host: ['kafka://'],
  url_pattern: '',
  extra_config: { 'backend/pubsub/publisher': { topic_url: topicUrl } },
});
const subscriber = (subscriptionUrl: string) => ({
  host: ['kafka://'],
  url_pattern: '',
  extra_config: { 'backend/pubsub/subscriber': { subscription_url: subscriptionUrl } },
});

/** A gateway whose warnings are kept, to read why an endpoint is unserved. */
async function gatewayWithLog(config: TestConfig): Promise<{ gw: TestGateway; log: string[] }> {
  const log: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      log.push(String(chunk));
      done();
    },
  });
  const gw = await startGateway(config, { logger: createLogger({ level: 'warn', destination }) });
  return { gw, log };
}

describe('backend/pubsub/publisher and subscriber (kafka://, librdkafka mock cluster)', () => {
  let kafka: KafkaMock;
  let gw: TestGateway;

  beforeAll(async () => {
    kafka = await startKafkaMock({ brokers: 1 });
    await kafka.createTopic(topicIn, 1);
    // gocloud.dev's kafkapubsub reads the brokers from KAFKA_BROKERS (comma-separated, each trimmed).
    process.env.KAFKA_BROKERS = ` ${kafka.bootstrap} ,`;
    gw = await startGateway({
      timeout: '2s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/publish',
          method: 'POST',
          input_headers: ['X-Tenant', 'X-Key'],
          backend: [publisher(`${topicOut}?key_name=X-Key`)],
        },
        { endpoint: '/too-big', method: 'POST', backend: [publisher(`${topicOut}-big`)] },
        { endpoint: '/subscribe', backend: [subscriber(`group-${id}?topic=${topicIn}&offset=oldest`)] },
        { endpoint: '/bad-param', backend: [subscriber(`group-${id}?topic=${topicIn}&partition=1`)] },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await kafka?.close();
  });

  it('publishes the body once the broker acknowledged it: headers as record headers, key_name as the key', async () => {
    const answer = await send(gw.port, '/publish', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant': 'acme', 'X-Key': 'user-42' },
      body: '{"n":1}',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({});
    const [record] = await readRecords(kafka.bootstrap, [topicOut], 1);
    expect(record?.value).toEqual({ n: 1 });
    expect(record?.key).toBe('user-42');
    // The key_name entry is the key, not a header (the others are the forwarded headers, as for HTTP).
    expect(record?.headers).toMatchObject({ 'X-Tenant': 'acme', 'User-Agent': 'Switchyard/0.1.0' });
    expect(record?.headers).not.toHaveProperty('X-Key');
  });

  it('answers a record the broker refuses (MESSAGE_TOO_LARGE) with a 500, the refusal named', async () => {
    await kafka.injectErrors(ApiKey.Produce, KafkaErrorCode.MESSAGE_TOO_LARGE, 1);
    const answer = await send(gw.port, '/too-big', { method: 'POST', body: '{"big":true}' });
    expect(answer.status).toBe(500);
    expect(answer.body).toContain('the broker refused the message');
    // The refusal was the broker's, for that record only: the next one is stored.
    const again = await send(gw.port, '/too-big', { method: 'POST', body: '{"big":false}' });
    expect(again.status).toBe(200);
    expect((await readRecords(kafka.bootstrap, [`${topicOut}-big`], 1))[0]?.value).toEqual({ big: false });
  });

  it('answers one record per request from the consumer group, in order; waits until the timeout when none comes', async () => {
    const producer = new Producer({
      brokers: kafka.brokers,
      clientId: 'pubsub-test',
      requestTimeoutMs: 5000,
      connectTimeoutMs: 1000,
    });
    try {
      await producer.send(
        [1, 2, 3].map((n) => ({
          topic: topicIn,
          key: null,
          value: Buffer.from(JSON.stringify({ id: n })),
          headers: new RecordHeaders({}),
        })),
      );
    } finally {
      await producer.close();
    }
    // The consumer joins its group in the background: until it has, requests time out.
    const bodies: unknown[] = [];
    for (let i = 0; i < 30 && bodies.length < 3; i++) {
      const got = await send(gw.port, '/subscribe');
      if (got.status === 200) bodies.push(JSON.parse(got.body));
      else expect(got.body).toBe('context deadline exceeded');
    }
    expect(bodies).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const empty = await send(gw.port, '/subscribe');
    expect(empty.status).toBe(500);
    expect(empty.body).toBe('context deadline exceeded');
  });

  it('on stop gives back the record offered to no request: the group reads it again, nothing is lost', async () => {
    const group = `again-${id}`;
    const config: TestConfig = {
      timeout: '2s',
      endpoints: [
        { endpoint: '/subscribe', backend: [subscriber(`${group}?topic=${topicIn}&offset=oldest`)] },
      ],
    };
    const first = await startGateway(config);
    let got: unknown;
    try {
      for (let i = 0; i < 30 && got === undefined; i++) {
        const answer = await send(first.port, '/subscribe');
        if (answer.status === 200) got = JSON.parse(answer.body);
      }
    } finally {
      // Record 2 is offered and waiting for a request as the gateway stops.
      await first.close();
    }
    expect(got).toEqual({ id: 1 });
    // The mock cluster takes a member's leave only when its session times out (10 s): until then the new
    // member waits to join.
    const second = await startGateway(config);
    try {
      let next: unknown;
      for (let i = 0; i < 30 && next === undefined; i++) {
        const answer = await send(second.port, '/subscribe');
        if (answer.status === 200) next = JSON.parse(answer.body);
      }
      expect(next).toEqual({ id: 2 });
    } finally {
      await second.close();
    }
  });

  it('leaves a subscription URL with a query parameter gocloud does not know unserved (500)', async () => {
    const answer = await send(gw.port, '/bad-param');
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('');
  });

  it('answers 500 (SWY_BROKER_UNAVAILABLE) when no broker answers at request time', async () => {
    const saved = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = `127.0.0.1:${await closedPort()}`;
    const down = await startGateway({
      timeout: '10s',
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        { endpoint: '/publish', method: 'POST', backend: [publisher(topicOut)] },
        { endpoint: '/subscribe', backend: [subscriber(`g?topic=${topicIn}`)] },
      ],
    });
    process.env.KAFKA_BROKERS = saved;
    try {
      const answer = await send(down.port, '/publish', { method: 'POST', body: '{}' });
      expect(answer.status).toBe(500);
      expect(answer.body).toContain(`kafka://${topicOut}: connection not available`);
      const sub = await send(down.port, '/subscribe');
      expect(sub.status).toBe(500);
      expect(sub.body).toContain(`kafka://g?topic=${topicIn}: connection not available`);
    } finally {
      await down.close();
    }
  });

  it('without KAFKA_BROKERS leaves the endpoints unserved (500) and says why', async () => {
    const saved = process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_BROKERS;
    const { gw: unset, log } = await gatewayWithLog({
      endpoints: [
        { endpoint: '/publish', method: 'POST', backend: [publisher(topicOut)] },
        { endpoint: '/subscribe', backend: [subscriber(`g?topic=${topicIn}`)] },
      ],
    });
    process.env.KAFKA_BROKERS = saved;
    try {
      expect((await send(unset.port, '/publish', { method: 'POST', body: '{}' })).status).toBe(500);
      expect((await send(unset.port, '/subscribe')).status).toBe(500);
      const warnings = log.filter((l) => l.includes('needs the KAFKA_BROKERS environment variable'));
      expect(warnings).toHaveLength(2);
    } finally {
      await unset.close();
    }
  });
});
