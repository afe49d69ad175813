import { type Logger, SwitchyardError } from '@switchyard/shared';
import { connect, type NatsConnection, headers as natsHeaders, type Subscription } from 'nats';
import { FAILURE_STATUS } from '../../errors/status.js';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { Inbox } from '../inbox.js';
import { brokerUnavailable, Link } from '../link.js';

/** Messages a NATS subscription holds for requests to come (the rest are dropped, oldest first). */
const PENDING = 1024;

/**
 * One NATS connection per server, shared by every NATS publisher and subscriber. The nats client
 * reconnects by itself; a connection it gives up on is opened anew on the next request.
 */
export class NatsConnections {
  private readonly links = new Map<string, Link<NatsConnection>>();

  get(server: string): Link<NatsConnection> {
    let link = this.links.get(server);
    if (!link) {
      const created: Link<NatsConnection> = new Link(
        `nats ${server}`,
        async () => {
          const nc = await connect({
            servers: server,
            name: `switchyard-gateway:${process.pid}`,
            maxReconnectAttempts: -1,
          });
          void nc.closed().then(() => created.lost(nc));
          return nc;
        },
        (nc) => nc.close(),
      );
      link = created;
      this.links.set(server, link);
      link.start();
    }
    return link;
  }

  async close(): Promise<void> {
    const all = [...this.links.values()];
    this.links.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}

/** `nats://subject` publisher: the body with the forwarded headers (first value each) as NATS headers. */
export class NatsPublisher {
  constructor(
    private readonly link: Link<NatsConnection>,
    private readonly subject: string,
  ) {}

  get what(): string {
    return `nats://${this.subject}`;
  }

  async send(scope: Scope, body: Buffer, metadata: Record<string, string>): Promise<void> {
    const nc = await abortable(this.link.get(), scope);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(metadata)) h.set(k, v);
    try {
      nc.publish(this.subject, body, { headers: h });
    } catch (err) {
      // The client refuses, before sending, a message over the server's max_payload (1 MiB by default).
      throw new SwitchyardError('SWY_BROKER_REJECTED', `${this.what}: the message was refused`, {
        status: FAILURE_STATUS.SWY_BROKER_REJECTED,
        details: { broker: this.what, bytes: body.length, max_payload: nc.info?.max_payload },
        cause: err,
      });
    }
    // The server answered a ping sent after the message: it has the message.
    await abortable(
      nc.flush().catch((err: unknown) => {
        throw brokerUnavailable(this.what, err);
      }),
      scope,
    );
  }

  async close(): Promise<void> {}
}

/** `nats://subject[?queue=group]` subscriber: each request takes one message (core NATS: at most once). */
export class NatsSubscriber {
  private readonly inbox = new Inbox<Buffer>(PENDING);
  private sub: Subscription | null = null;
  private subscribing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly link: Link<NatsConnection>,
    private readonly subject: string,
    private readonly queue: string | undefined,
    private readonly logger: Logger,
  ) {
    this.subscribe().catch(() => {});
  }

  get what(): string {
    return `nats://${this.subject}`;
  }

  async take(scope: Scope): Promise<Buffer> {
    await abortable(this.subscribe(), scope);
    return this.inbox.take(scope);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub?.unsubscribe();
    this.inbox.fail(brokerUnavailable(this.what, new Error('closed')));
  }

  /** Subscribes on the current connection, again after a connection was replaced. */
  private subscribe(): Promise<void> {
    if (this.sub && !this.sub.isClosed()) return Promise.resolve();
    this.subscribing ??= this.link
      .get()
      .then((nc) => {
        if (this.closed) return;
        this.sub = nc.subscribe(this.subject, {
          ...(this.queue && { queue: this.queue }),
          callback: (err, msg) => {
            if (err) this.logger.warn({ err: err.message, subject: this.subject }, 'NATS subscription error');
            else this.inbox.push(Buffer.from(msg.data));
          },
        });
        void this.sub.closed.then(() => {
          if (!this.closed) this.inbox.fail(brokerUnavailable(this.what, new Error('subscription closed')));
        });
      })
      .finally(() => {
        this.subscribing = null;
      });
    return this.subscribing;
  }
}
