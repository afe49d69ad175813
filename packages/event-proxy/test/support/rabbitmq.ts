import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type ConsumeMessage } from 'amqplib';

/** The real broker the test setup checks and starts (`npm run test:setup`). */
export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

const run = promisify(execFile);

/** A name no other test (or earlier run) uses, for exchanges, queues and connections. */
export function uniqueName(prefix: string): string {
  return `swy-test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export interface RabbitConsumer {
  readonly exchange: string;
  readonly queue: string;
  /** Messages received so far (each acked on arrival). */
  readonly messages: ConsumeMessage[];
  /** Resolves once `count` messages arrived; rejects after `timeoutMs` saying how many did. */
  waitFor(count: number, timeoutMs?: number): Promise<ConsumeMessage[]>;
  /** Deletes the queue and the exchange, and closes the connection. */
  close(): Promise<void>;
}

/**
 * Declares `exchange` (durable, as the sink declares it) and an exclusive queue bound to it with `pattern`,
 * and consumes from it. Call before publishing: RabbitMQ drops messages no queue is bound for.
 */
export async function consumeExchange(
  exchange: string,
  options: { type?: string; pattern?: string } = {},
): Promise<RabbitConsumer> {
  const connection = await amqp.connect(RABBITMQ_URL, {
    clientProperties: { connection_name: uniqueName('consumer') },
  });
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, options.type ?? 'topic', { durable: true });
  const { queue } = await channel.assertQueue(uniqueName('queue'), { exclusive: true });
  await channel.bindQueue(queue, exchange, options.pattern ?? '#');
  const messages: ConsumeMessage[] = [];
  const waiters: (() => void)[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    messages.push(message);
    channel.ack(message);
    for (const wake of waiters.splice(0)) wake();
  });

  return {
    exchange,
    queue,
    messages,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`received ${messages.length} of ${count} messages from ${exchange}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages;
    },
    async close() {
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * Closes, from the server side, every connection whose client named itself `connectionName` (what
 * `rabbitmqctl close_all_connections` does, without touching other tests' connections). Returns how many.
 */
export async function closeConnectionsNamed(
  connectionName: string,
  reason = 'closed by a test',
): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    '-q',
    'list_connections',
    '--no-table-headers',
    'pid',
    'client_properties',
  ]);
  const needle = `{"connection_name",${JSON.stringify(connectionName)}}`;
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, reason]);
  return pids.length;
}
