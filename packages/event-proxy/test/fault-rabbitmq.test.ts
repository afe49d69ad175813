import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const run = promisify(execFile);
const tmp = tempDir('fault-rabbit');
// A virtual host of its own, so closing all its connections touches no other test's.
const vhost = `swy-fault-${randomUUID().slice(0, 8)}`;
const url = `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
const exchange = `swy-fault.events.${randomUUID().slice(0, 8)}`;
const queue = `swy-fault.read-back.${randomUUID().slice(0, 8)}`;
let proxy: EventProxy | undefined;

const rabbitmqctl = async (...args: string[]) => (await run('rabbitmqctl', ['-q', ...args])).stdout;

beforeAll(async () => {
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  // A durable queue bound to the exchange before anything is published; read once the stream is over.
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, exchange, '#');
  await connection.close();
});
afterAll(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
  tmp.cleanup();
});

/** Every message in the queue, acked as read: the event ids in arrival order. */
async function readBack(timeoutMs: number): Promise<string[]> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    const ids: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${ids.length} of ${messageCount} messages`)),
        timeoutMs,
      );
      if (messageCount === 0) resolve();
      void channel.consume(queue, (message) => {
        if (!message) return;
        ids.push((JSON.parse(message.content.toString()) as Envelope).id);
        channel.ack(message);
        if (ids.length === messageCount) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return ids;
  } finally {
    await connection.close();
  }
}

describe('fault: RabbitMQ', () => {
  it('every connection force-closed mid-stream, twice (rabbitmqctl close_all_connections): every event is read back', async () => {
    const settings = proxySettings(tmp.dir, {
      target: {
        type: 'rabbitmq',
        rabbitmq: { url, exchange, exchange_type: 'topic', retry_max: 2 } as never,
      },
      spool: { enabled: true, dir: join(tmp.dir, 'spool') },
      batch: { max_events: 100, linger_ms: 10 },
      retry: { initial_ms: 50, max_ms: 500 },
    });
    proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const p = proxy;

    const events = sampleEvents(3000, 'frabbit');
    const stream = steadyStream({
      events,
      batch: 20,
      intervalMs: 20,
      maxMs: 30_000,
      send: publishTo(p),
    });
    const closed: string[] = [];
    for (const at of [600, 1800]) {
      await stream.whenAcked(at);
      const out = await rabbitmqctl(
        'close_all_connections',
        '--vhost',
        vhost,
        '--limit',
        '100',
        'fault test',
      );
      closed.push(out.trim());
    }
    await stream.done;
    await p.flush(60_000);

    const t = tally(stream.acked, await readBack(30_000));
    const metrics = await scrape(p.address?.url as string);
    report('rabbitmq connections force-closed twice', t, {
      close_all_connections: closed.join(' / '),
      retried: metrics.get('switchyard_events_retried_total{sink="rabbitmq"}') ?? 0,
    });
    for (const line of closed) expect(line).toMatch(/^Closed [1-9]\d* connections?$/);
    expect(t.sent).toBe(events.length);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(metrics.get('switchyard_spool_events')).toBe(0);
  }, 120_000);
});
