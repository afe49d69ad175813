import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { HubSource } from '@switchyard/cli';
import { validateEventProxySettings } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { EventHub } from '@switchyard/gateway';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// The in-process hand-off of `switchyard run`: the gateway's hub to the event proxy, no HTTP hop.

const dir = mkdtempSync(join(tmpdir(), 'swy-hub-source-'));
const logger = createLogger({ level: 'silent' });
let receiver: Server | undefined;
let proxy: EventProxy | undefined;
let hub: EventHub | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 0 });
  receiver?.closeAllConnections();
  receiver?.close();
  hub?.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function emit(h: EventHub, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    const req = {
      request_id: `req-${i}`,
      method: 'GET',
      path: `/p/${i}`,
      endpoint: '/p/{n}',
      query: {},
      client_ip: '127.0.0.1',
      headers: {},
      body_bytes: 0,
    };
    h.requestStarted(req);
    h.requestFinished(req, { status: 200, latency_ms: 1, bytes: 2, completed: true, backends: [] });
  }
}

async function setup(slowMs: number, maxEvents: number, log = logger, ringSize = 10_000) {
  const h = new EventHub({ settings: { health_interval: '1h', ring_size: ringSize } });
  hub = h;
  const emitted: string[] = [];
  h.subscribe((e) => emitted.push(e.id));
  // The HTTP target: answers each batch (a JSON array) after `slowMs`, recording its event ids.
  const received: string[] = [];
  const r = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () =>
      setTimeout(() => {
        received.push(...(JSON.parse(body) as Envelope[]).map((e) => e.id));
        res.writeHead(200).end();
      }, slowMs),
    );
  });
  receiver = r;
  r.listen(0, '127.0.0.1');
  await once(r, 'listening');
  const url = `http://127.0.0.1:${(r.address() as AddressInfo).port}`;
  const source = new HubSource({ hub: h });
  const p = createEventProxy(
    validateEventProxySettings({
      listen: '127.0.0.1:0',
      target: { type: 'http', http: { url } },
      batch: { max_events: 10, linger_ms: 1 },
      spool: { enabled: false, dir: join(dir, 'spool'), memory_max_events: maxEvents, full_policy: 'block' },
      dead_letter: { path: join(dir, 'dead.ndjson') },
    }),
    { logger: log, sources: [source] },
  );
  proxy = p;
  await p.start();
  const delivered = () => received;
  return { h, p, source, emitted, delivered };
}

async function until(check: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('HubSource', () => {
  it('logs a hole standing for an unknown number of lost events (a --workers worker died) with its lower bound', async () => {
    const lines: string[] = [];
    const capture = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const { h, delivered } = await setup(0, 1000, capture);
    emit(h, 0, 1);
    h.loseUncounted(3);
    emit(h, 1, 1);
    await until(() => delivered().length === 4);
    const said = () => lines.find((l) => l.includes('a gateway worker exited before it forwarded them'));
    await until(() => said() !== undefined);
    expect(JSON.parse(said() as string)).toMatchObject({ missed_at_least: 3 });
    // Not mistaken for a full hand-off.
    expect(lines.some((l) => l.includes('the hand-off was full'))).toBe(false);
  });

  it("a ring that moved past an inexact hole is logged with the hole's lower bound, not as one event", async () => {
    const lines: string[] = [];
    const capture = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const { h } = await setup(0, 1000, capture, 10);
    // In one tick: a worker's loss of at least 500 events, then more events than the ring holds.
    h.loseUncounted(500);
    emit(h, 0, 20);
    const said = () => lines.find((l) => l.includes('the event ring moved past events'));
    await until(() => said() !== undefined);
    // The hole stands for at least 500, the events overwritten add to it; not an exact count.
    const logged = JSON.parse(said() as string);
    expect(logged.exact).toBe(false);
    expect(logged.missed).toBeGreaterThan(500);
  });

  it('loses nothing while the proxy queue is full: it waits, reads the hub again by position, and retries', async () => {
    const { h, p, emitted, delivered } = await setup(5, 20);
    for (let burst = 0; burst < 10; burst++) {
      emit(h, burst * 30, 30); // 60 events at once, three times what the queue holds
      await new Promise((r) => setImmediate(r));
    }
    await until(() => delivered().length >= emitted.length);
    expect(emitted).toHaveLength(600);
    expect(delivered()).toEqual(emitted);
    const refused = (await p.metrics.refused.get()).values.find((v) => v.labels.source === 'in_process');
    expect(refused?.value).toBeGreaterThan(0);
  });

  it('flush hands over what the hub recorded until then, so a shutdown right after delivers it', async () => {
    const { h, p, source, emitted, delivered } = await setup(0, 1000);
    emit(h, 0, 50);
    await source.flush();
    await p.close({ deadlineMs: 5000 });
    proxy = undefined;
    expect(delivered()).toEqual(emitted);
  });
});
