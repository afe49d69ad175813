import type { AmqpProducerNamespace } from '@switchyard/config';
import { bodyTooLarge } from '../../backend/call.js';
import type { BrokerBackendOptions } from '../options.js';
import { canonicalHeader, paramReader } from '../params.js';
import { type BrokerBackend, brokerBackend, messageData } from '../stage.js';
import type { AmqpConsumer } from './consumer.js';
import type { AmqpProducer } from './producer.js';

/**
 * Each request answers the data of one message of the queue. A message over the backend's body limit is
 * not decoded (SWY_BACKEND_BODY_TOO_LARGE, as an HTTP answer over it) and is dropped, never requeued: it
 * would be over the limit again, at the head of the queue, for every request after.
 */
export function consumerBackend(consumer: AmqpConsumer, o: BrokerBackendOptions): BrokerBackend {
  return brokerBackend(consumer.what, o.method, async (req) => {
    const delivery = await consumer.take(req.scope);
    if (delivery.body.length > o.maxBodyBytes) {
      delivery.drop(o.maxBodyBytes);
      throw bodyTooLarge(consumer.what, o.maxBodyBytes);
    }
    let data: Record<string, unknown>;
    try {
      data = messageData(delivery.body, consumer.what, o.decode, o.format);
    } catch (err) {
      delivery.settle(false);
      throw err;
    }
    delivery.settle(true);
    return data;
  });
}

/**
 * Each request publishes its body with the forwarded headers (as an AMQP table of string lists, as
 * KrakenD sends them), its Content-Type, and the expiration, reply-to, message id, priority and routing
 * key taken from the params the namespace names; answered `{}` once the broker took it.
 */
export function producerBackend(
  producer: AmqpProducer,
  cfg: AmqpProducerNamespace,
  o: BrokerBackendOptions,
): BrokerBackend {
  const param = paramReader(o.names);
  const routing = cfg.routing_key ?? '';
  return brokerBackend(producer.what, o.method, async (req) => {
    const flat = o.headers.build(req);
    const headers: Record<string, string[]> = {};
    let contentType: string | undefined;
    for (let i = 0; i < flat.length; i += 2) {
      const name = canonicalHeader(flat[i] as string);
      const value = flat[i + 1] as string;
      const values = headers[name];
      if (values) values.push(value);
      else headers[name] = [value];
      if (name === 'Content-Type') contentType ??= value;
    }
    const expiration = param(req, cfg.exp_key ?? '');
    const replyTo = param(req, cfg.reply_to_key ?? '');
    const messageId = param(req, cfg.msg_id_key ?? '');
    const priority = /^[+-]?\d+$/.test(param(req, cfg.priority_key ?? ''))
      ? Number(param(req, cfg.priority_key ?? '')) & 0xff
      : undefined;
    await producer.publish(
      req.scope,
      cfg.static_routing_key ? routing : param(req, routing),
      req.body ?? Buffer.alloc(0),
      {
        headers,
        timestamp: Math.floor(Date.now() / 1000),
        mandatory: cfg.mandatory === true,
        ...(contentType && { contentType }),
        ...(expiration && { expiration }),
        ...(replyTo && { replyTo }),
        ...(messageId && { messageId }),
        ...(priority !== undefined && { priority }),
      },
    );
    return {};
  });
}
