import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningSwitchyard, startRun } from '@switchyard/cli';
import type { EventProxySettings } from '@switchyard/config';
import { CURSOR_FILE, createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import type { Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../packages/event-proxy/test/support/http-receiver.js';
import {
  type Backend,
  gatewayConfig,
  get,
  proxySettings,
  readNdjson,
  silent,
  startBackend,
  tempDir,
  testIO,
  until,
  writeJson,
} from './support/switchyard.js';

// The event proxy, reading the gateway's admin stream, is stopped and restarted while requests keep
// coming. The restarted proxy resumes after its saved cursor: every event the gateway emitted is delivered
// (counted by id), and only a few are delivered twice.

const tmp = tempDir('restart');
let backend: Backend;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await backend?.close();
  tmp.cleanup();
});

async function startGateway(
  name: string,
): Promise<{ running: RunningSwitchyard; base: string; sent: string[] }> {
  const file = writeJson(join(tmp.dir, `${name}.json`), gatewayConfig(backend.url));
  const running = await startRun({ file, debug: false, port: 0, adminListen: '127.0.0.1:0' }, testIO(), {
    proxy: null,
    host: '127.0.0.1',
    logger: silent(),
  });
  if (!running) throw new Error('the gateway file was refused');
  cleanups.push(() => running.close());
  // What the gateway emitted, by id: the test's own in-process consumer.
  const sent: string[] = [];
  running.gateway.events.subscribe((e) => {
    if (e.event_type === 'request' || e.event_type === 'response') sent.push(e.id);
  });
  return { running, base: `http://127.0.0.1:${running.gateway.address?.port}`, sent };
}

async function startProxy(settings: EventProxySettings): Promise<EventProxy> {
  const proxy = createEventProxy(settings, { logger: silent() });
  cleanups.push(() => proxy.close({ deadlineMs: 0 }));
  await proxy.start();
  return proxy;
}

/** Sends `count` requests, 4 at a time; resolves when all were answered. */
async function load(base: string, from: number, count: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      const res = await get(base, `/users/${i}`);
      expect(res.status).toBe(200);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

function report(label: string, sent: readonly string[], delivered: readonly string[]) {
  const counts = new Map<string, number>();
  for (const id of delivered) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = sent.filter((id) => !counts.has(id));
  const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
  console.log(
    `${label}: sent ${sent.length}, delivered ${delivered.length} (${counts.size} distinct), missing ${missing.length}, duplicates ${duplicates}`,
  );
  return { missing, duplicates };
}

describe('event proxy stopped and restarted mid-stream', () => {
  it('with the disk spool: resumes after the last event its spool took; none lost', async () => {
    const { running, base, sent } = await startGateway('spool');
    const out = join(tmp.dir, 'spool-events.ndjson');
    const spoolDir = join(tmp.dir, 'spool');
    const settings = proxySettings(tmp.dir, { type: 'file', file: { path: out } } as never, {
      gateway: { admin_url: running.gateway.adminAddress?.url },
      spool: { enabled: true, dir: spoolDir },
    });
    const first = await startProxy(settings);
    await until(() => running.gateway.events.subscribers > 1, 'the proxy to attach');

    const traffic = load(base, 1, 300);
    // The event worker builds in bursts when the CPU is busy (it runs on time the requests leave): wait
    // until the proxy's spool has taken some of them, not only until the gateway emitted them.
    await until(
      () => sent.length >= 200 && existsSync(join(spoolDir, CURSOR_FILE)),
      '200 events emitted and the spool to have taken some',
    );
    await first.close({ deadlineMs: 0 }); // mid-stream: requests keep coming
    const beforeRestart = readNdjson(out).length;
    expect(existsSync(join(spoolDir, CURSOR_FILE))).toBe(true);
    const cursor = readFileSync(join(spoolDir, CURSOR_FILE), 'utf8').trim();
    expect(sent).toContain(cursor);

    await new Promise((r) => setTimeout(r, 100));
    await startProxy(settings);
    await traffic;
    // The gateway's events reach its in-process subscriber from the event worker, a moment after the answers.
    await until(() => sent.length >= 600, 'the 600 events emitted');
    await until(() => {
      const got = new Set(readNdjson(out).map((e) => (e as Envelope).id));
      return sent.every((id) => got.has(id));
    }, `all ${sent.length} events delivered`);

    const delivered = readNdjson(out).map((e) => (e as Envelope).id);
    const { missing, duplicates } = report('disk spool', sent, delivered);
    expect(missing).toEqual([]);
    expect(sent).toHaveLength(600);
    // Resumed from the cursor, not from the ring's oldest event (which would repeat everything before it).
    expect(duplicates).toBeLessThan(beforeRestart);
  });

  it('with a memory-only queue: resumes after the last event the sink confirmed; what the queue lost is read again', async () => {
    const { running, base, sent } = await startGateway('memory');
    const receiver = new HttpReceiver();
    const url = await receiver.start();
    cleanups.push(() => receiver.stop());
    const ok = new Set<number>();
    let failing = false;
    receiver.responder = (n, _req, res) => {
      if (failing) return void res.writeHead(503).end('down');
      ok.add(n);
      res.writeHead(200).end('ok');
    };
    const cursorDir = join(tmp.dir, 'memory-cursor');
    const settings = proxySettings(tmp.dir, { type: 'http', http: { url: `${url}/events` } } as never, {
      gateway: { admin_url: running.gateway.adminAddress?.url },
      spool: { enabled: false, dir: cursorDir },
    });
    const first = await startProxy(settings);
    await until(() => running.gateway.events.subscribers > 1, 'the proxy to attach');

    await load(base, 1, 50);
    await until(() => receiver.events(ok).length >= 100, 'the first 100 events confirmed');
    failing = true; // the sink stops confirming: the memory queue holds what comes next
    await load(base, 51, 50);
    await new Promise((r) => setTimeout(r, 200));
    await first.close({ deadlineMs: 100 }); // those queued events are lost with the queue
    const cursor = readFileSync(join(cursorDir, CURSOR_FILE), 'utf8').trim();
    const confirmed = new Set(receiver.events(ok).map((e) => (e as Envelope).id));
    expect(confirmed.has(cursor)).toBe(true);
    // The second 100 were taken into the memory queue but never confirmed: the restart must read them again.
    expect(confirmed.size).toBe(100);
    const dropped = (await first.metrics.dropped.get()).values.find((v) => v.labels.reason === 'shutdown');
    expect(dropped?.value).toBeGreaterThan(0);

    failing = false;
    await startProxy(settings);
    await until(() => {
      const got = new Set(receiver.events(ok).map((e) => (e as Envelope).id));
      return sent.every((id) => got.has(id));
    }, `all ${sent.length} events confirmed`);
    const { missing } = report(
      'memory queue',
      sent,
      receiver.events(ok).map((e) => (e as Envelope).id),
    );
    expect(sent).toHaveLength(200);
    expect(missing).toEqual([]);
  });
});
