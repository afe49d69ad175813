import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventProxySettings } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually, postEvents, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { flakySink } from './support/flaky-sink.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-full');
const receiver = new HttpReceiver();
let proxy: EventProxy | undefined;
let sse: Server | undefined;

afterEach(async () => {
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
  await receiver.stop();
  if (sse) {
    sse.closeAllConnections();
    sse.close();
    sse = undefined;
  }
});
afterAll(() => tmp.cleanup());

// Small enough that a few hundred events fill it (an event is about 300-450 bytes on disk).
const SPOOL_BYTES = 32 * 1024;

async function startProxy(
  name: string,
  url: string,
  policy: 'block' | 'drop_oldest' | 'drop_newest',
  extra: Partial<EventProxySettings> = {},
): Promise<EventProxy> {
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url, timeout_ms: 2000 } as never },
    spool: {
      enabled: true,
      dir: join(tmp.dir, `${name}.spool`),
      max_bytes: SPOOL_BYTES,
      full_policy: policy,
    },
    retry: { initial_ms: 20, max_ms: 200 },
    dead_letter: { path: join(tmp.dir, `${name}.dead.ndjson`) },
    ...extra,
  });
  const p = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
  await p.start();
  return p;
}

async function readyz(base: string): Promise<{ status: number; checks: unknown }> {
  const res = await request(`${base}/readyz`);
  return { status: res.statusCode, checks: ((await res.body.json()) as { checks: unknown }).checks };
}

describe('fault: the spool full', () => {
  it('block: ingest answers 503 with Retry-After, /readyz says not ready, nothing is lost once the sink recovers', async () => {
    const sink = await flakySink(receiver);
    proxy = await startProxy('block', sink.url, 'block');
    const base = proxy.address?.url as string;
    const events = sampleEvents(600, 'fblock');
    const refusals: Array<string | undefined> = [];
    let readyWhileFull: { status: number; checks: unknown } | undefined;
    const run = steadyStream({
      events,
      batch: 20,
      intervalMs: 10,
      maxMs: 30_000,
      // A producer that honours Retry-After: the same batch again after the delay it was given.
      send: async (batch) => {
        for (;;) {
          const { status, retryAfter } = await postEvents(base, batch);
          if (status === 202) return true;
          expect(status).toBe(503);
          refusals.push(retryAfter);
          readyWhileFull ??= await readyz(base);
          // The sink comes back once the spool has refused a few requests.
          if (refusals.length === 3) sink.up();
          await sleep(Number(retryAfter) * 1000);
        }
      },
    });
    await run.done;
    await proxy.flush(20_000);

    const t = tally(run.acked, sink.delivered());
    const metrics = await scrape(base);
    report('spool full, block', t, { 'requests refused with 503': refusals.length });
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    for (const value of refusals) expect(Number(value)).toBeGreaterThanOrEqual(1);
    expect(readyWhileFull).toEqual({ status: 503, checks: { sink: false, queue: false } });
    expect(t.sent).toBe(events.length);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(metrics.get('switchyard_events_refused_total{source="http"}')).toBe(refusals.length * 20);
    expect(metrics.get('switchyard_events_received_total{source="http"}')).toBe(events.length);
    expect([...metrics.keys()].filter((k) => k.startsWith('switchyard_events_dropped_total{'))).toEqual([]);
    expect((await readyz(base)).status).toBe(200);
  });

  it('block: the gateway stream source pauses while the spool is full and resumes, losing nothing', async () => {
    const sink = await flakySink(receiver);
    const events = sampleEvents(600, 'fstream');
    let requests = 0;
    // The gateway's admin stream: every event with its id, resumed after Last-Event-ID.
    sse = createServer((req, res) => {
      requests++;
      const last = req.headers['last-event-id'];
      const from = last ? events.findIndex((e) => e.id === last) + 1 : 0;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events.slice(from)) {
        res.write(`id: ${e.id}\nevent: ${e.event_type}\ndata: ${JSON.stringify(e)}\n\n`);
      }
    });
    sse.listen(0, '127.0.0.1');
    await once(sse, 'listening');
    const gateway = `http://127.0.0.1:${(sse.address() as AddressInfo).port}`;
    proxy = await startProxy('stream', sink.url, 'block', { gateway: { admin_url: gateway } });
    const base = proxy.address?.url as string;

    // The source fills the spool, is refused, and waits (paused) instead of failing.
    expect(
      await eventually(
        async () =>
          ((await scrape(base)).get('switchyard_events_refused_total{source="gateway_stream"}') ?? 0) > 0,
        10_000,
      ),
    ).toBe(true);
    const held = (await scrape(base)).get('switchyard_spool_events') ?? 0;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(events.length);
    sink.up();
    expect(await eventually(() => new Set(sink.delivered()).size === events.length, 20_000)).toBe(true);

    const t = tally(
      events.map((e) => e.id),
      sink.delivered(),
    );
    const metrics = await scrape(base);
    report('spool full, block, gateway stream', t, {
      'events refused then retried':
        metrics.get('switchyard_events_refused_total{source="gateway_stream"}') ?? 0,
      'stream connections': requests,
    });
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(metrics.get('switchyard_events_received_total{source="gateway_stream"}')).toBe(events.length);
  });

  for (const policy of ['drop_newest', 'drop_oldest'] as const) {
    it(`${policy}: the counter in /metrics matches what was dropped, everything else is delivered`, async () => {
      const sink = await flakySink(receiver);
      proxy = await startProxy(policy, sink.url, policy);
      const p = proxy;
      const events = sampleEvents(600, `f${policy}`);
      let droppedByCalls = 0;
      const run = steadyStream({
        events,
        batch: 20,
        intervalMs: 5,
        maxMs: 20_000,
        send: async (batch) => {
          const result = await p.publish(batch);
          droppedByCalls += result.dropped;
          return true;
        },
      });
      await run.done;
      sink.up();
      await p.flush(20_000);

      const delivered = sink.delivered();
      const t = tally(run.acked, delivered);
      const metrics = await scrape(p.address?.url as string);
      const dropped = metrics.get(`switchyard_events_dropped_total{reason="${policy}"}`);
      report(`spool full, ${policy}`, t, { 'dropped (counter)': dropped ?? 0 });
      expect(t.unexpected).toEqual([]);
      expect(dropped).toBeGreaterThan(0);
      // Every event is either delivered or counted as dropped, never both, never neither.
      expect(t.delivered + (dropped as number)).toBe(events.length);
      expect(droppedByCalls).toBe(dropped);
      const order = new Map(events.map((e, i) => [e.id, i]));
      const missing = t.missing.map((id) => order.get(id) as number).sort((a, b) => a - b);
      // The dropped events are one run: the newest ones (drop_newest), or the oldest not yet handed to the
      // sink (drop_oldest), so the last event published is delivered.
      expect(missing.at(-1)! - missing[0]!).toBe(missing.length - 1);
      if (policy === 'drop_newest') expect(missing.at(-1)).toBe(events.length - 1);
      else expect(delivered).toContain(events.at(-1)?.id);
      expect(metrics.get('switchyard_spool_events')).toBe(0);
    });
  }
});
