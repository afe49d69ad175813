import { type Logger, SwitchyardError } from '@switchyard/shared';
import { FAILURE_STATUS } from '../../errors/status.js';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { type ConfirmUse, closeConfirmChannel, openConfirmChannel } from '../amqp/confirm-channel.js';
import type { AmqpConnections } from '../amqp/connections.js';
import { brokerUnavailable, Link } from '../link.js';
import { redactUrl } from '../redact.js';

interface Publishing extends ConfirmUse {
  /** Set by a basic.return, which RabbitMQ sends before the confirm of the message it returns. */
  returned: boolean;
}

/**
 * `rabbit://exchange[?key_name=K]` publisher (gocloud rabbitpubsub): publishes to an exchange that exists,
 * mandatory, on a confirm channel, the metadata as AMQP headers (the `key_name` entry as the routing key
 * instead); answered once the broker confirmed. One message at a time per topic, as gocloud sends, so a
 * returned (unroutable) message is known to be this request's and fails it (SWY_BROKER_REJECTED).
 */
export class RabbitTopic {
  private readonly link: Link<Publishing>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly exchange: string,
    private readonly keyName: string | undefined,
    private readonly connections: AmqpConnections,
    private readonly logger: Logger,
  ) {
    this.link = new Link(`${redactUrl(url)} exchange ${exchange}`, () => this.open(), closeConfirmChannel);
    this.link.start();
  }

  get what(): string {
    return this.link.what;
  }

  async send(scope: Scope, body: Buffer, metadata: Record<string, string>): Promise<void> {
    let routingKey = '';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (k === this.keyName) routingKey = v;
      else headers[k] = v;
    }
    const p = await abortable(this.link.get(), scope);
    const turn = this.queue.then(() => {
      // A request that ended while it waited (its client was answered an error) is not published late.
      if (scope.reason) throw scope.reason;
      return this.publish(p, routingKey, body, headers);
    });
    this.queue = turn.catch(() => {});
    await abortable(turn, scope);
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private publish(
    p: Publishing,
    routingKey: string,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<void> {
    if (p.closed) return Promise.reject(brokerUnavailable(this.what, new Error('channel closed')));
    p.returned = false;
    return new Promise<void>((resolve, reject) => {
      const refused = (why: string, err?: unknown) =>
        new SwitchyardError('SWY_BROKER_REJECTED', `${this.what}: ${why}`, {
          status: FAILURE_STATUS.SWY_BROKER_REJECTED,
          details: { broker: this.what, routing_key: routingKey },
          cause: err,
        });
      try {
        p.channel.publish(this.exchange, routingKey, body, { headers, mandatory: true }, (err) => {
          if (p.returned) reject(refused('the message was returned unroutable'));
          else if (!err) resolve();
          else if (p.closed) reject(brokerUnavailable(this.what, err));
          else reject(refused('the broker refused the message', err));
        });
      } catch (err) {
        reject(brokerUnavailable(this.what, err));
      }
    });
  }

  private open(): Promise<Publishing> {
    return openConfirmChannel<Publishing>({
      connections: this.connections,
      url: this.url,
      exchange: this.exchange,
      logger: this.logger,
      fields: { returned: false },
      lost: (p) => this.link.lost(p),
      setUp: (p) => {
        p.channel.on('return', () => {
          p.returned = true;
        });
      },
    });
  }
}
