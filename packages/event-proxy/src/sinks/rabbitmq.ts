import { hostname } from 'node:os';
import type { RabbitTarget } from '@switchyard/config';
import { type Envelope, isSwitchyardError, type Logger, SwitchyardError } from '@switchyard/shared';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { type BackoffOptions, backoffDelay } from '../pipeline/backoff.js';
import { eventJson } from '../pipeline/event-json.js';
import { resendWithin } from './resend.js';
import type { Rejected, SendResult, Sink, SinkRetryListener } from './sink.js';

// Reconnect pacing after a lost connection; the pipeline's own backoff applies on top of a failed send.
const RECONNECT = { initialMs: 100, maxMs: 10_000 };
const CONNECT_TIMEOUT_MS = 10_000;
const CONFIRM_TIMEOUT_MS = 30_000;

export interface RabbitSinkDeps {
  logger: Logger;
  onRetry?: SinkRetryListener;
  /** Shown by RabbitMQ for the connection (management UI, rabbitmqctl); default names host and pid. */
  connectionName?: string;
  /** How long a batch may wait for its publisher confirms before the connection is dropped and it is retried. */
  confirmTimeoutMs?: number;
  /** Pacing of reconnect attempts after a lost connection [100 ms doubling to 10 s, full jitter]. */
  reconnectBackoff?: BackoffOptions;
}

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

export function rabbitRoutingKey(template: string | undefined, event: Envelope): string {
  return template === undefined ? event.event_type : template.replaceAll('{event_type}', event.event_type);
}

/**
 * Publishes each event as one persistent JSON message (message id = event id, header `event_type`) to a
 * durable exchange, on a confirm channel: `send` resolves only once the broker confirmed every message of the
 * batch. A nack, a lost connection or a confirm timeout fails the batch retryably (SWY_SINK_UNAVAILABLE /
 * SWY_SINK_TIMEOUT); a lost connection is re-opened with backoff in the background, and `send` republishes on
 * the new one up to `retry_max` times before giving the failure to the pipeline.
 */
export function createRabbitSink(settings: RabbitTarget, deps: RabbitSinkDeps): Sink {
  const logger = deps.logger.child({ sink: 'rabbitmq', exchange: settings.exchange });
  const connectionName = deps.connectionName ?? `switchyard-event-proxy@${hostname()}:${process.pid}`;
  const confirmTimeoutMs = deps.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS;
  const reconnectBackoff = deps.reconnectBackoff ?? RECONNECT;
  // Aborted by close: nothing connects after it, and a send waiting to try again gives up at once.
  const closing = new AbortController();
  let link: Link | undefined;
  let connecting: Promise<Link> | undefined;
  let blocked = false;
  let started = false;
  let failures = 0;
  let nextAttemptAt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const open = async (): Promise<Link> => {
    const connection = await amqp.connect(settings.url, {
      clientProperties: { connection_name: connectionName },
      timeout: CONNECT_TIMEOUT_MS,
    });
    // Listeners before any declare: amqplib emits 'error' when the server closes a channel (e.g. a refused
    // declare), and an 'error' event nobody listens to throws.
    let opened: Link | undefined;
    connection.on('error', (err: Error) => logger.warn({ err }, 'RabbitMQ connection error'));
    connection.on('close', (err?: Error) => opened && lost(opened, err));
    connection.on('blocked', (reason: string) => {
      blocked = true;
      logger.warn({ reason }, 'RabbitMQ blocked publishing');
    });
    connection.on('unblocked', () => {
      blocked = false;
    });
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: Error) => logger.warn({ err }, 'RabbitMQ channel error'));
      channel.on('close', () => opened && lost(opened));
      await channel.assertExchange(settings.exchange, settings.exchange_type, { durable: true });
      opened = { connection, channel };
      return opened;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  };

  const connect = (): Promise<Link> => {
    clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    if (connecting) return connecting;
    const attempt = (async () => {
      try {
        const opened = await open();
        if (closing.signal.aborted) {
          void opened.connection.close().catch(() => undefined);
          throw new SwitchyardError('SWY_SINK_UNAVAILABLE', 'the rabbitmq sink is closed');
        }
        link = opened;
        blocked = false;
        if (failures > 0) logger.info('RabbitMQ connection re-established');
        failures = 0;
        return opened;
      } catch (err) {
        failures++;
        nextAttemptAt = Date.now() + backoffDelay(failures - 1, reconnectBackoff);
        throw toSinkError(err, 'connect', nextAttemptAt - Date.now());
      } finally {
        connecting = undefined;
      }
    })();
    connecting = attempt;
    // Whoever asked (start, send, the timer), a failed attempt keeps the background reconnection going.
    attempt.catch(() => {
      if (started) scheduleReconnect();
    });
    return attempt;
  };

  // Background reconnection, so /readyz recovers without waiting for traffic.
  const scheduleReconnect = (): void => {
    if (closing.signal.aborted || reconnectTimer || connecting || link) return;
    reconnectTimer = setTimeout(
      () => {
        reconnectTimer = undefined;
        connect().catch(() => undefined);
      },
      Math.max(0, nextAttemptAt - Date.now()),
    );
    reconnectTimer.unref();
  };

  function lost(which: Link, err?: Error): void {
    if (link !== which) return;
    link = undefined;
    if (closing.signal.aborted) return;
    logger.warn({ err }, 'RabbitMQ connection lost; reconnecting');
    failures++;
    nextAttemptAt = Date.now() + backoffDelay(failures - 1, reconnectBackoff);
    // A channel closed on its own (e.g. a refused publish) leaves its connection open: drop that too.
    void which.connection.close().catch(() => undefined);
    scheduleReconnect();
  }

  /** The open link, or a connect attempt when the backoff allows one; otherwise a retryable error. */
  const currentLink = (): Promise<Link> => {
    if (closing.signal.aborted)
      return Promise.reject(new SwitchyardError('SWY_SINK_UNAVAILABLE', 'the rabbitmq sink is closed'));
    if (link) return Promise.resolve(link);
    if (connecting) return connecting;
    const wait = nextAttemptAt - Date.now();
    if (wait > 0) {
      return Promise.reject(
        new SwitchyardError('SWY_SINK_UNAVAILABLE', `RabbitMQ is unreachable; reconnecting in ${wait} ms`, {
          details: { sink: 'rabbitmq', retryAfterMs: wait },
        }),
      );
    }
    return connect();
  };

  const publish = async (target: Link, batch: readonly Envelope[], rejected: Rejected[]): Promise<void> => {
    const { channel } = target;
    for (const event of batch) {
      let body: Buffer;
      try {
        body = eventJson(event);
      } catch (err) {
        rejected.push({ event, reason: `rabbitmq: event cannot be serialized: ${(err as Error).message}` });
        continue;
      }
      const accepted = channel.publish(
        settings.exchange,
        rabbitRoutingKey(settings.routing_key, event),
        body,
        {
          persistent: true,
          contentType: 'application/json',
          messageId: event.id,
          timestamp: event.timestamp,
          type: event.event_type,
          appId: 'switchyard',
          // For `headers` exchanges, which route on headers rather than the routing key.
          headers: { event_type: event.event_type },
        },
      );
      if (!accepted) await drained(channel);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SwitchyardError(
              'SWY_SINK_TIMEOUT',
              `RabbitMQ did not confirm within ${confirmTimeoutMs} ms`,
              {
                details: { sink: 'rabbitmq' },
              },
            ),
          ),
        confirmTimeoutMs,
      );
    });
    try {
      await Promise.race([channel.waitForConfirms(), timeout]);
    } catch (err) {
      // Confirms that never came may still come on this channel: start over on a fresh connection.
      if (isSwitchyardError(err, 'SWY_SINK_TIMEOUT')) lost(target, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name: 'rabbitmq',

    async start(): Promise<void> {
      started = true;
      await (link ? Promise.resolve(link) : (connecting ?? connect()));
    },

    ready: () => link !== undefined && !blocked,

    async send(batch: readonly Envelope[]): Promise<SendResult> {
      return resendWithin(
        async () => {
          const rejected: Rejected[] = [];
          await publish(await currentLink(), batch, rejected);
          return { rejected };
        },
        (err) => toSinkError(err, 'publish'),
        {
          retryMax: settings.retry_max,
          closing: closing.signal,
          pause: (e, attempt) => {
            logger.debug(
              { err: e, attempt: attempt + 1 },
              'RabbitMQ publish failed; retrying on a new connection',
            );
            const wait = e.details?.retryAfterMs;
            return typeof wait === 'number' ? wait : backoffDelay(attempt, reconnectBackoff);
          },
          onRetry: () => deps.onRetry?.(batch.length),
        },
      );
    },

    async close(): Promise<void> {
      closing.abort();
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const current = link ?? (await connecting?.catch(() => undefined));
      link = undefined;
      if (current) await current.connection.close().catch(() => undefined);
    },
  };
}

/** Resolves when the channel can take more (or is gone: the next publish then fails on its own). */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

function toSinkError(err: unknown, action: string, retryAfterMs?: number): SwitchyardError {
  if (isSwitchyardError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchyardError('SWY_SINK_UNAVAILABLE', `rabbitmq ${action} failed: ${message}`, {
    cause: err,
    details: { sink: 'rabbitmq', ...(retryAfterMs !== undefined && { retryAfterMs }) },
  });
}
