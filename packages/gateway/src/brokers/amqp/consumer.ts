import type { AmqpConsumerNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { Inbox } from '../inbox.js';
import { brokerUnavailable, Link } from '../link.js';
import { redactUrl } from '../redact.js';
import type { AmqpConnections } from './connections.js';

/**
 * Messages the gateway holds unacknowledged for requests to come, when `prefetch_count` does not say: the
 * broker keeps the rest, so a queue of any length costs the gateway at most this many messages.
 */
export const DEFAULT_PREFETCH = 16;

interface Consuming {
  channel: Channel;
  release: () => void;
  /** Set when the channel closes, also while it is still being set up. */
  closed: boolean;
}

/** One message handed to a request: settle it once its body is decoded (ack) or not (nack). */
export interface Delivery {
  body: Buffer;
  settle(decoded: boolean): void;
  /**
   * The body is over `limit` (max_body_bytes), which no retry changes: the message is nacked without
   * requeue (the queue's dead-letter exchange receives it, if it has one), so it cannot come back to the head
   * of the queue and fail every later request. Logged once, without the body.
   */
  drop(limit: number): void;
}

/** A message received and not yet handed to a request, with the channel it came on. */
interface Received {
  from: Consuming;
  msg: ConsumeMessage;
}

/**
 * `backend/amqp/consumer`: declares the topic exchange and the queue, binds the routing keys and consumes;
 * each request takes one message, waiting for one until its timeout when the queue is empty (as KrakenD
 * does). Messages are always consumed with acknowledgements so `prefetch_count` bounds what the gateway
 * holds; with `auto_ack` a message is acknowledged as it is handed to a request, otherwise once decoded,
 * and an undecodable one is requeued (or dropped with `nack_discard`); one over `max_body_bytes` is dropped.
 */
export class AmqpConsumer {
  private readonly link: Link<Consuming>;
  /** Unbounded: `prefetch_count` already bounds what the broker sends before it is acknowledged. */
  private readonly inbox = new Inbox<Received>();

  constructor(
    private readonly url: string,
    private readonly cfg: AmqpConsumerNamespace,
    private readonly connections: AmqpConnections,
    private readonly logger: Logger,
    /** Declare the exchange and queue and bind them (krakend-amqp); gocloud's rabbit:// consumes a queue that exists. */
    private readonly declare = true,
  ) {
    this.link = new Link(
      `${redactUrl(url)} queue ${cfg.name}`,
      () => this.open(),
      async (c) => {
        await c.channel.close().catch(() => {});
        c.release();
      },
    );
    this.link.start();
  }

  get what(): string {
    return this.link.what;
  }

  /** The next message, waiting for one until the request's scope ends. */
  async take(scope: Scope): Promise<Delivery> {
    await abortable(this.link.get(), scope);
    const { from, msg } = await this.inbox.take(scope);
    return this.delivery(from, msg);
  }

  close(): Promise<void> {
    this.inbox.fail(brokerUnavailable(this.what, new Error('closed')));
    return this.link.close();
  }

  private async open(): Promise<Consuming> {
    const { cfg } = this;
    const { connection, release } = this.connections.acquire(this.url);
    let consuming: Consuming | undefined;
    try {
      const channel = await (await connection).createChannel();
      consuming = { channel, release, closed: false };
      const c = consuming;
      // A channel error is followed by its close, which is handled below.
      channel.on('error', (err: Error) =>
        this.logger.warn({ err: err.message, queue: cfg.name }, 'AMQP channel error'),
      );
      channel.on('close', () => {
        c.closed = true;
        this.dropped(c);
      });
      let queue = cfg.name;
      if (this.declare) {
        const flags = { durable: cfg.durable === true, autoDelete: cfg.delete === true };
        await channel.assertExchange(cfg.exchange, 'topic', flags);
        queue = (await channel.assertQueue(cfg.name, { ...flags, exclusive: cfg.exclusive === true })).queue;
        for (const key of cfg.routing_key) await channel.bindQueue(queue, cfg.exchange, key);
      }
      await channel.prefetch(cfg.prefetch_count || DEFAULT_PREFETCH);
      await channel.consume(
        queue,
        (msg) => {
          // null: the broker cancelled the consumer (its queue was deleted); start over on a new channel.
          if (msg) this.inbox.push({ from: c, msg });
          else void channel.close().catch(() => {});
        },
        { noAck: false, exclusive: cfg.exclusive === true, noLocal: cfg.no_local === true },
      );
      // Closed while being set up (the broker cancelled at once): the link must not keep a dead channel.
      if (c.closed) throw new Error('channel closed while opening');
      return c;
    } catch (err) {
      // A channel that closed has been released by its close handler.
      if (!consuming?.closed) release();
      throw err;
    }
  }

  private delivery(from: Consuming, msg: ConsumeMessage): Delivery {
    const ack = (ok: boolean) => {
      try {
        if (ok) from.channel.ack(msg);
        else from.channel.nack(msg, false, this.cfg.nack_discard !== true);
      } catch {
        // The channel closed meanwhile: the broker requeues the message itself.
      }
    };
    const tooLarge = (limit: number, settled: boolean) => {
      this.logger.warn(
        { queue: this.cfg.name, bytes: msg.content.length, max_body_bytes: limit },
        'AMQP message over max_body_bytes dropped (dead-lettered if the queue has a dead-letter exchange)',
      );
      if (settled) return;
      try {
        from.channel.nack(msg, false, false);
      } catch {
        // The channel closed meanwhile: the broker requeues the message itself.
      }
    };
    if (this.cfg.auto_ack) {
      ack(true);
      return { body: msg.content, settle: () => {}, drop: (limit) => tooLarge(limit, true) };
    }
    return { body: msg.content, settle: ack, drop: (limit) => tooLarge(limit, false) };
  }

  /** The channel closed: its unacknowledged messages go back to the queue; waiting requests fail. */
  private dropped(c: Consuming): void {
    this.link.lost(c);
    c.release();
    this.inbox.discard((r) => r.from === c);
    this.inbox.fail(brokerUnavailable(this.what, new Error('channel closed')));
  }
}
