import type { AmqpProducerNamespace } from '@switchyard/config';
import { type Logger, SwitchyardError } from '@switchyard/shared';
import type { Options } from 'amqplib';
import { FAILURE_STATUS } from '../../errors/status.js';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { brokerUnavailable, Link } from '../link.js';
import { redactUrl } from '../redact.js';
import { type ConfirmUse, closeConfirmChannel, openConfirmChannel } from './confirm-channel.js';
import type { AmqpConnections } from './connections.js';

/**
 * `backend/amqp/producer`: declares the topic exchange and publishes each request's body to it. Publishing
 * is on a confirm channel, so a request is answered once the broker took the message, and a message the
 * broker refuses fails its request (SWY_BROKER_REJECTED) instead of being lost silently.
 */
export class AmqpProducer {
  private readonly link: Link<ConfirmUse>;

  constructor(
    private readonly url: string,
    private readonly cfg: AmqpProducerNamespace,
    private readonly connections: AmqpConnections,
    private readonly logger: Logger,
  ) {
    this.link = new Link(
      `${redactUrl(url)} exchange ${cfg.exchange}`,
      () => this.open(),
      closeConfirmChannel,
    );
    this.link.start();
  }

  get what(): string {
    return this.link.what;
  }

  async publish(scope: Scope, routingKey: string, body: Buffer, options: Options.Publish): Promise<void> {
    const p = await abortable(this.link.get(), scope);
    const sent = new Promise<void>((resolve, reject) => {
      p.channel.publish(this.cfg.exchange, routingKey, body, options, (err) => {
        if (!err) resolve();
        else if (p.closed) reject(brokerUnavailable(this.what, err));
        else
          reject(
            new SwitchyardError('SWY_BROKER_REJECTED', `${this.what}: the broker refused the message`, {
              status: FAILURE_STATUS.SWY_BROKER_REJECTED,
              details: { broker: this.what, routing_key: routingKey },
              cause: err,
            }),
          );
      });
    });
    await abortable(sent, scope);
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private open(): Promise<ConfirmUse> {
    const { cfg } = this;
    return openConfirmChannel<ConfirmUse>({
      connections: this.connections,
      url: this.url,
      exchange: cfg.exchange,
      logger: this.logger,
      fields: {},
      lost: (p) => this.link.lost(p),
      setUp: async ({ channel }) => {
        // KrakenD does not listen for returns either: an unroutable mandatory message is answered 200.
        channel.on('return', (msg: { fields: { routingKey: string } }) =>
          this.logger.warn(
            { exchange: cfg.exchange, routing_key: msg.fields.routingKey },
            'AMQP message returned unroutable',
          ),
        );
        await channel.assertExchange(cfg.exchange, 'topic', {
          durable: cfg.durable === true,
          autoDelete: cfg.delete === true,
        });
      },
    });
  }
}
