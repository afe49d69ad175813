import type { Logger } from '@switchyard/shared';
import amqp, { type ChannelModel } from 'amqplib';

const CONNECT_TIMEOUT_MS = 5_000;

interface Shared {
  connection: Promise<ChannelModel>;
  users: number;
}

/**
 * One AMQP connection per broker URL, shared by every AMQP backend naming it (each has its own channel).
 * A lost connection is forgotten, so the next channel asked for opens a new one; the last user's release
 * closes it.
 */
export class AmqpConnections {
  private readonly byUrl = new Map<string, Shared>();

  constructor(private readonly logger: Logger) {}

  /** A connection to `url`, opened unless one is open, and the release of this use of it. */
  acquire(url: string): { connection: Promise<ChannelModel>; release: () => void } {
    let shared = this.byUrl.get(url);
    if (!shared) {
      shared = { connection: this.open(url), users: 0 };
      this.byUrl.set(url, shared);
    }
    const used = shared;
    used.users++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--used.users > 0) return;
      if (this.byUrl.get(url) === used) this.byUrl.delete(url);
      used.connection.then((c) => c.close()).catch(() => {});
    };
    return { connection: used.connection, release };
  }

  async close(): Promise<void> {
    const all = [...this.byUrl.values()];
    this.byUrl.clear();
    await Promise.all(all.map((s) => s.connection.then((c) => c.close()).catch(() => {})));
  }

  private open(url: string): Promise<ChannelModel> {
    const opening = amqp.connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: `switchyard-gateway:${process.pid}` },
    });
    const forget = () => {
      if (this.byUrl.get(url)?.connection === opening) this.byUrl.delete(url);
    };
    opening.then((c) => {
      // Without an error listener a broker-closed connection would be an uncaught error.
      c.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'AMQP connection error'));
      c.on('close', forget);
    }, forget);
    return opening;
  }
}
