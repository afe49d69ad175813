import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileProxy } from './support/file-proxy.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('admin');
let proxy: EventProxy | undefined;
const receiver = new HttpReceiver();
afterEach(async () => {
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
  await receiver.stop();
});
afterAll(() => tmp.cleanup());

async function get(url: string) {
  const res = await request(url);
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

describe('admin routes', () => {
  it('GET /metrics: Prometheus text with received, delivered, filtered, invalid, queue depth and sink latency', async () => {
    const p = await fileProxy(tmp.dir, 'metrics', { filter: { types: ['request', 'response'] } });
    proxy = p.proxy;
    const published = sampleEvents(40);
    const posted = sampleEvents(4, 'h');
    const kept = [...published, ...posted].filter(
      (e) => e.event_type === 'request' || e.event_type === 'response',
    );
    await proxy.publish(published);
    const bad = await request(`${p.url}/events`, {
      method: 'POST',
      body: JSON.stringify([...posted, { nope: true }]),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.dump();
    await proxy.flush(10_000);
    const { status, type, text } = await get(`${p.url}/metrics`);
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const delivered = p.delivered().length;
    expect(delivered).toBe(kept.length);
    for (const line of [
      'switchyard_events_received_total{source="in_process"} 40',
      'switchyard_events_received_total{source="http"} 4',
      'switchyard_events_invalid_total{source="http"} 1',
      `switchyard_events_filtered_total ${44 - kept.length}`,
      `switchyard_events_delivered_total{sink="file"} ${delivered}`,
      'switchyard_queue_events 0',
      'switchyard_queue_bytes 0',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).toMatch(/^switchyard_sink_send_seconds_count\{sink="file",outcome="ok"\} [1-9]\d*$/m);
    expect(text).toContain('# TYPE switchyard_events_dropped_total counter');
    expect(text).toContain('# TYPE switchyard_events_dead_lettered_total counter');
    expect(text).toContain('# TYPE switchyard_events_retried_total counter');
    expect(text).toContain('# TYPE switchyard_events_sink_retried_total counter');
    expect(text).toContain('switchyard_event_proxy_process_resident_memory_bytes');
  });

  it('GET /healthz answers while up; GET /readyz follows the sink', async () => {
    const url = await receiver.start();
    receiver.responder = (_n, _req, res) => res.writeHead(503).end();
    const settings = proxySettings(tmp.dir, {
      target: { type: 'http', http: { url } as never },
      retry: { initial_ms: 50, max_ms: 50 },
      dead_letter: { path: join(tmp.dir, 'ready.dead.ndjson') },
    });
    proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const base = proxy.address?.url as string;
    expect((await get(`${base}/healthz`)).status).toBe(200);
    const before = await get(`${base}/readyz`);
    expect(before.status).toBe(200);
    expect(JSON.parse(before.text)).toEqual({ status: 'ready', checks: { sink: true, queue: true } });
    await proxy.publish(sampleEvents(3));
    await expect(proxy.flush(300)).rejects.toMatchObject({ code: 'SWY_SINK_TIMEOUT' });
    const during = await get(`${base}/readyz`);
    expect(during.status).toBe(503);
    expect(JSON.parse(during.text).checks).toEqual({ sink: false, queue: true });
    expect((await get(`${base}/healthz`)).status).toBe(200);
    receiver.responder = (_n, _req, res) => res.writeHead(200).end();
    await proxy.flush(10_000);
    expect((await get(`${base}/readyz`)).status).toBe(200);
  });

  it('start fails with a clear error when the listen address is taken', async () => {
    const url = await receiver.start();
    const settings = proxySettings(tmp.dir, {
      target: { type: 'file', file: { path: join(tmp.dir, 'taken.ndjson') } as never },
      listen: url.replace('http://', ''),
    });
    const taken = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await expect(taken.start()).rejects.toMatchObject({
      code: 'SWY_LISTEN_FAILED',
      message: expect.stringContaining(`cannot listen on ${url.replace('http://', '')}: listen EADDRINUSE`),
    });
    await taken.close({ deadlineMs: 0 });
  });

  it('listens on loopback by default', async () => {
    const { validateEventProxySettings } = await import('@switchyard/config');
    const settings = validateEventProxySettings({ target: { type: 'file', file: { path: '-' } } });
    expect(settings.listen).toBe('127.0.0.1:8095');
  });
});
