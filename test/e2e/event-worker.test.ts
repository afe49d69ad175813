import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGatewayConfig } from '@switchyard/config';
import { createGateway, type Gateway } from '@switchyard/gateway';
import type { Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../packages/event-proxy/test/support/http-receiver.js';
import {
  type Backend,
  gatewayConfig,
  get,
  proxySettings,
  silent,
  startBackend,
  tempDir,
  until,
  writeJson,
} from './support/switchyard.js';

// The event worker fails (its consumer throws an uncaught exception) while requests keep coming: the
// gateway keeps answering, /__health and node_health tell the failure, the worker is started again, and
// every answered request's events still reach the sink (what the dead worker had not handed on stays in
// the hand-off; what its proxy had spooled, the next one delivers).

const CONSUMER = fileURLToPath(new URL('./support/crashing-consumer.mjs', import.meta.url));
const DIES_IN_FLUSH = fileURLToPath(new URL('./support/dies-in-flush-consumer.mjs', import.meta.url));
const tmp = tempDir('event-worker');
let backend: Backend;
let receiver: HttpReceiver;
let sinkUrl: string;
let gateway: Gateway | undefined;

beforeAll(async () => {
  backend = await startBackend();
  receiver = new HttpReceiver();
  sinkUrl = `${await receiver.start()}/events`;
});
afterAll(async () => {
  await gateway?.close();
  await receiver?.stop();
  await backend?.close();
  tmp.cleanup();
});

const events = () => receiver.events() as Envelope[];

describe('the event worker', () => {
  it('fails and restarts: the gateway keeps serving, tells the failure, and loses no event', async () => {
    const file = writeJson(join(tmp.dir, 'krakend.json'), gatewayConfig(backend.url));
    const { config } = await loadGatewayConfig(file);
    const proxy = proxySettings(tmp.dir, { type: 'http', http: { url: sinkUrl } } as never, {
      spool: { enabled: true, dir: join(tmp.dir, 'spool') },
    });
    const { gateway: _remote, ...own } = proxy;
    gateway = createGateway({
      config,
      logger: silent(),
      admin: { listen: '127.0.0.1:0' },
      eventWorker: { consumer: { module: CONSUMER, data: own }, restartDelayMs: 50 },
    });
    const { port } = await gateway.listen();
    const base = `http://127.0.0.1:${port}`;
    const admin = gateway.adminAddress?.url as string;

    const answered: string[] = [];
    const send = async (path: string) => {
      const res = await get(base, path);
      answered.push(path.split('?')[0] as string);
      return res.status;
    };
    for (let i = 1; i <= 20; i++) expect(await send(`/users/${i}`)).toBe(200);
    expect(await send('/crash')).toBe(404);
    // The worker dies on that request's event; requests go on being answered meanwhile.
    for (let i = 21; i <= 60; i++) expect(await send(`/users/${i}`)).toBe(200);

    await until(async () => {
      const health = JSON.parse((await get(admin, '/__health')).body);
      return health.events.worker.restarts >= 1 && health.events.worker.state === 'running';
    }, 'the worker to be restarted');
    const health = JSON.parse((await get(admin, '/__health')).body);
    expect(health.events.worker).toMatchObject({ restarts: 1, dropped: 0 });
    expect(health.events.worker.last_error).toContain('boom: the test consumer failed');
    for (let i = 61; i <= 80; i++) expect(await send(`/users/${i}`)).toBe(200);

    // Every answered request's request and response event arrives (at least once).
    const has = (type: string, path: string) =>
      events().some((e) => e.event_type === type && (e.data as { path: string }).path === path);
    await until(
      () => answered.every((p) => has('request', p) && has('response', p)),
      'every answered request to arrive as events',
    );
    // An event the restarted worker made again (its records were read again from the hand-off) carries
    // the id it had the first time: a duplicate is recognisable as one.
    const ids = new Map<string, Set<string>>();
    for (const e of events()) {
      if (e.event_type !== 'request' && e.event_type !== 'response') continue;
      const key = `${e.event_type} ${(e.data as { request_id: string }).request_id}`;
      ids.set(key, (ids.get(key) ?? new Set()).add(e.id));
    }
    expect([...ids].filter(([, set]) => set.size > 1)).toEqual([]);
    // The failure and the recovery were told as node_health.
    await until(
      () =>
        events().some(
          (e) =>
            e.event_type === 'node_health' &&
            (e.data as { status: string }).status === 'degraded' &&
            (e.data as { event_worker?: { restarts: number } }).event_worker?.restarts === 1,
        ),
      'a degraded node_health naming the restart',
    );
    const healthEvents = events().filter((e) => e.event_type === 'node_health');
    expect(healthEvents.at(-1)?.data).toMatchObject({
      status: 'ok',
      event_worker: { state: 'running', restarts: 1 },
    });
    await gateway.close();
    gateway = undefined;
  });

  it('a flush the worker dies in is refused, not reported as delivered; each flush gets its own answer', async () => {
    const { config } = await loadGatewayConfig(
      writeJson(join(tmp.dir, 'flush.json'), gatewayConfig(backend.url)),
    );
    gateway = createGateway({
      config,
      logger: silent(),
      admin: { listen: '127.0.0.1:0' },
      eventWorker: { consumer: { module: DIES_IN_FLUSH, data: null }, restartDelayMs: 50 },
    });
    await gateway.listen();
    const worker = gateway.eventWorker;
    if (!worker) throw new Error('expected an event worker');
    const first = worker.flush(5000).then(
      () => 'confirmed',
      (err: { code?: string }) => err.code,
    );
    expect(await first).toBe('SWY_SINK_UNAVAILABLE');
    await until(async () => {
      try {
        await worker.flush(1000);
        return true;
      } catch {
        return false;
      }
    }, 'the restarted worker to confirm a flush');
    // Two flushes at once: each resolves with its own answer.
    await expect(Promise.all([worker.flush(2000), worker.flush(2000)])).resolves.toEqual([
      undefined,
      undefined,
    ]);
    await gateway.close();
    gateway = undefined;
  });
});
