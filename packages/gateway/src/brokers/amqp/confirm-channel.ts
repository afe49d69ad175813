import type { Logger } from '@switchyard/shared';
import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnections } from './connections.js';

/** A confirm channel a publisher holds, and the release of its use of the shared connection. */
export interface ConfirmUse {
  channel: ConfirmChannel;
  release: () => void;
  /** Set when the channel closes, also while it is still being set up. */
  closed: boolean;
}

export interface ConfirmChannelOptions<T extends ConfirmUse> {
  connections: AmqpConnections;
  url: string;
  /** The exchange it publishes to, for logs. */
  exchange: string;
  logger: Logger;
  /** The publisher's own fields, besides the channel's. */
  fields: Omit<T, keyof ConfirmUse>;
  /** The channel closed: its Link must open a new one for the next request. */
  lost: (use: T) => void;
  /** Listeners and declarations made before the channel is handed out. */
  setUp?: (use: T) => Promise<void> | void;
}

/**
 * Opens a confirm channel on the shared connection to `url` for a publisher's Link: a channel error is
 * logged (its close follows), a close marks the channel closed, tells `lost` and releases the connection
 * once. A channel that closed while being set up is refused, so the Link does not keep a dead channel whose
 * close it was not told of.
 */
export async function openConfirmChannel<T extends ConfirmUse>(o: ConfirmChannelOptions<T>): Promise<T> {
  const { connection, release } = o.connections.acquire(o.url);
  let use: T | undefined;
  try {
    const channel = await (await connection).createConfirmChannel();
    const u = { ...o.fields, channel, release, closed: false } as T;
    use = u;
    channel.on('error', (err: Error) =>
      o.logger.warn({ err: err.message, exchange: o.exchange }, 'AMQP channel error'),
    );
    channel.on('close', () => {
      u.closed = true;
      o.lost(u);
      release();
    });
    await o.setUp?.(u);
    if (u.closed) throw new Error('channel closed while opening');
    return u;
  } catch (err) {
    // A channel that closed has been released by its close handler.
    if (!use?.closed) release();
    throw err;
  }
}

/** What a Link does to a confirm channel it no longer needs: closes it, then releases the connection. */
export async function closeConfirmChannel(use: ConfirmUse): Promise<void> {
  await use.channel.close().catch(() => {});
  use.release();
}
