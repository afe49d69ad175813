import { randomUUID } from 'node:crypto';
import { createLogger } from '@switchyard/shared';
import type { ConfirmChannel } from 'amqplib';
import { afterEach, expect, it } from 'vitest';
import { AmqpConnections } from '../../src/brokers/amqp/connections.js';
import { AmqpProducer } from '../../src/brokers/amqp/producer.js';
import { Scope } from '../../src/pipeline/scope.js';

const RABBIT = 'amqp://guest:guest@127.0.0.1:5672';
const logger = createLogger({ level: 'silent' });

/**
 * Real connections whose first confirm channel is closed right after its exchange is declared: the close
 * lands while the producer is still setting the channel up, which the broker can do at any time (a
 * connection that is closed, a channel the broker closes) but not at a moment a test can choose.
 */
class ClosingFirstChannel extends AmqpConnections {
  closedOne = false;

  override acquire(url: string) {
    const use = super.acquire(url);
    const connection = use.connection.then((model) => {
      const create = model.createConfirmChannel.bind(model);
      model.createConfirmChannel = async () => {
        const channel: ConfirmChannel = await create();
        if (this.closedOne) return channel;
        this.closedOne = true;
        const declare = channel.assertExchange.bind(channel);
        channel.assertExchange = async (...args: Parameters<ConfirmChannel['assertExchange']>) => {
          const ok = await declare(...args);
          await channel.close();
          return ok;
        };
        return channel;
      };
      return model;
    });
    return { connection, release: use.release };
  }
}

let connections: AmqpConnections | undefined;
let producer: AmqpProducer | undefined;
afterEach(async () => {
  await producer?.close();
  await connections?.close();
});

it('a channel closed while it is being set up is not kept: the next attempt opens a new one', async () => {
  const closing = new ClosingFirstChannel(logger);
  connections = closing;
  const exchange = `swy-setup-${randomUUID().slice(0, 8)}`;
  producer = new AmqpProducer(RABBIT, { exchange, durable: false, delete: true } as never, closing, logger);
  // The first attempt (started by the constructor) got a channel that closed during its setup.
  const first = await producer.publish(new Scope(), 'k', Buffer.from('a'), {}).catch((err: unknown) => err);
  expect(closing.closedOne).toBe(true);
  expect(first).toMatchObject({ code: 'SWY_BROKER_UNAVAILABLE' });
  // After the link's pause (100 ms), a request opens a new channel and is confirmed on it.
  let sent = false;
  const end = Date.now() + 10_000;
  while (!sent && Date.now() < end) {
    sent = await producer.publish(new Scope(), 'k', Buffer.from('b'), {}).then(
      () => true,
      () => false,
    );
    if (!sent) await new Promise((r) => setTimeout(r, 50));
  }
  expect(sent).toBe(true);
});
