import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventProxy, type EventProxy, HttpSink } from '@switchyard/event-proxy';
import { createLogger, isSwitchyardError } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';
import { failureOf } from './support/wait.js';

const tmp = tempDir('http-sink');
const logger = createLogger({ level: 'silent' });
let receiver: HttpReceiver;
let proxy: EventProxy | undefined;

afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
  await receiver?.stop();
});
afterAll(() => tmp.cleanup());

async function startProxy(url: string, http: Record<string, unknown> = {}, name = 'dl') {
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url, timeout_ms: 2000, ...http } as never },
    dead_letter: { path: join(tmp.dir, `${name}.ndjson`) },
  });
  proxy = createEventProxy(settings, { logger });
  await proxy.start();
  return proxy;
}

const ids = (events: readonly unknown[]) => events.map((e) => (e as { id: string }).id);

describe('HTTP sink', () => {
  for (const format of ['json', 'ndjson'] as const) {
    it(`delivers every event as ${format}, read back field by field by a real server`, async () => {
      receiver = new HttpReceiver();
      const url = await receiver.start();
      const p = await startProxy(`${url}/ingest?src=swy`, {
        format,
        method: 'PUT',
        headers: { 'x-api-key': 'secret-1' },
      });
      const sent = sampleEvents(237);
      await p.publish(sent.slice(0, 100));
      await p.publish(sent.slice(100));
      await p.flush(10_000);
      expect(receiver.events()).toEqual(sent);
      for (const r of receiver.requests) {
        expect(r.method).toBe('PUT');
        expect(r.url).toBe('/ingest?src=swy');
        expect(r.headers['x-api-key']).toBe('secret-1');
        expect(r.headers['content-type']).toBe(
          format === 'json' ? 'application/json' : 'application/x-ndjson',
        );
      }
      // batch.max_events is 50 in the test settings
      expect(receiver.requests.length).toBeGreaterThanOrEqual(5);
    });
  }

  it('retries 503 and 429 with Retry-After (seconds and HTTP-date) until the target recovers, losing nothing', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) res.writeHead(503, { 'retry-after': '0' }).end('down');
      else if (n === 1) res.writeHead(429, { 'retry-after': new Date(Date.now() + 50).toUTCString() }).end();
      else if (n === 2) res.writeHead(500).end();
      else res.writeHead(204).end();
    };
    const url = await receiver.start();
    // No resends within a send: each failure goes back to the pipeline, which is what this test counts.
    const p = await startProxy(url, { retry_max: 0 });
    const sent = sampleEvents(30);
    await p.publish(sent);
    await p.flush(10_000);
    const okRequests = new Set(receiver.requests.map((_r, i) => i).filter((i) => i >= 3));
    expect(receiver.events(okRequests)).toEqual(sent);
    const metrics = await p.metrics.registry.getSingleMetric('switchyard_events_retried_total')?.get();
    expect(metrics?.values[0]?.value).toBe(90);
  });

  it('waits out an outage (connection refused) and delivers once the target is back', async () => {
    receiver = new HttpReceiver();
    const url = await receiver.start();
    const port = Number(new URL(url).port);
    await receiver.stop();
    const p = await startProxy(url);
    const sent = sampleEvents(20);
    await p.publish(sent);
    await expect(p.flush(300)).rejects.toMatchObject({ code: 'SWY_SINK_TIMEOUT' });
    await receiver.start(port);
    await p.flush(10_000);
    expect(receiver.events()).toEqual(sent);
  });

  it('retries a target slower than the timeout; every event arrives (duplicates allowed)', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) setTimeout(() => res.writeHead(200).end(), 1500).unref();
      else res.writeHead(200).end();
    };
    const url = await receiver.start();
    const p = await startProxy(url, { timeout_ms: 200 });
    const sent = sampleEvents(10);
    await p.publish(sent);
    await p.flush(10_000);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids(receiver.events()))).toEqual(new Set(ids(sent)));
  });

  it('dead-letters a batch the target refuses with 400, with the reason, then goes on', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) res.writeHead(400, { 'content-type': 'text/plain' }).end('field "x" is not allowed');
      else res.writeHead(200).end();
    };
    const url = await receiver.start();
    const p = await startProxy(url, {}, 'dl-400');
    const first = sampleEvents(5, 'bad');
    const second = sampleEvents(5, 'good');
    await p.publish(first);
    await p.flush(10_000);
    await p.publish(second);
    await p.flush(10_000);
    const lines = readFileSync(join(tmp.dir, 'dl-400.ndjson'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(first);
    for (const l of lines) {
      expect(l.sink).toBe('http');
      expect(l.reason).toContain('SWY_SINK_REJECTED');
      expect(l.reason).toContain('400');
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    }
    expect(receiver.events(new Set([1]))).toEqual(second);
    const dead = await p.metrics.registry.getSingleMetric('switchyard_events_dead_lettered_total')?.get();
    expect(dead?.values[0]?.value).toBe(5);
  });
});

const sinkFor = (url: string, retry_max: number) =>
  new HttpSink({ url, method: 'POST', timeout_ms: 2000, headers: {}, format: 'json', retry_max });

describe('HttpSink resends (retry_max)', () => {
  it('tries a retryable failure again within the send, up to retry_max times, then hands it on', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => res.writeHead(n % 3 < 2 ? 503 : 204).end();
    const url = await receiver.start();
    const twice = sinkFor(url, 2);
    const events = sampleEvents(3);
    // 503, 503, then 204: one send, three requests.
    expect(await twice.send(events)).toEqual({ rejected: [] });
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.events(new Set([2]))).toEqual(events);
    await twice.close();
    const once = sinkFor(url, 1);
    // 503, 503: the send fails after two requests, for the pipeline to retry later.
    await expect(once.send(events)).rejects.toMatchObject({ code: 'SWY_SINK_UNAVAILABLE', retryable: true });
    expect(receiver.requests).toHaveLength(5);
    await once.close();
  });

  it('hands a failure with Retry-After, and a refusal, to the pipeline at once', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) res.writeHead(503, { 'retry-after': '1' }).end();
      else res.writeHead(400).end('bad');
    };
    const sink = sinkFor(await receiver.start(), 5);
    await expect(sink.send(sampleEvents(1))).rejects.toMatchObject({
      code: 'SWY_SINK_UNAVAILABLE',
      details: { retryAfterMs: 1000 },
    });
    expect(receiver.requests).toHaveLength(1);
    await expect(sink.send(sampleEvents(1))).rejects.toMatchObject({ code: 'SWY_SINK_REJECTED' });
    expect(receiver.requests).toHaveLength(2);
    await sink.close();
  });

  it('a connection the target dropped mid-request costs one quick resend, not a failed send', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) res.socket?.destroy();
      else res.writeHead(200).end();
    };
    const sink = sinkFor(await receiver.start(), 5);
    const events = sampleEvents(4);
    expect(await sink.send(events)).toEqual({ rejected: [] });
    expect(receiver.events(new Set([1]))).toEqual(events);
    await sink.close();
  });

  it('counts a resend inside the send in switchyard_events_sink_retried_total, not as a pipeline retry', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (n, _req, res) => {
      if (n === 0) res.writeHead(502).end();
      else res.writeHead(204).end();
    };
    const p = await startProxy(await receiver.start(), { retry_max: 3 });
    const sent = sampleEvents(7);
    await p.publish(sent);
    await p.flush(10_000);
    expect(receiver.events(new Set([1]))).toEqual(sent);
    const value = async (name: string) =>
      (await p.metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.sink === 'http')
        ?.value ?? 0;
    expect(await value('switchyard_events_sink_retried_total')).toBe(7);
    expect(await value('switchyard_events_retried_total')).toBe(0);
    expect(await value('switchyard_events_delivered_total')).toBe(7);
  });

  it('stops resending once closed', async () => {
    receiver = new HttpReceiver();
    receiver.responder = (_n, _req, res) => res.writeHead(503).end();
    const sink = sinkFor(await receiver.start(), 1_000);
    const outcome = failureOf(sink.send(sampleEvents(1)));
    await new Promise((r) => setTimeout(r, 100));
    await sink.close();
    expect(await outcome).toMatchObject({ code: 'SWY_SINK_UNAVAILABLE', retryable: true });
    const made = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toHaveLength(made);
  });
});

describe('HttpSink errors', () => {
  it('classifies statuses: 408/429/5xx retryable with retryAfterMs, other 4xx permanent', async () => {
    receiver = new HttpReceiver();
    const statuses = [408, 429, 502, 404, 413];
    receiver.responder = (n, _req, res) =>
      res.writeHead(statuses[n] as number, { 'retry-after': '3' }).end('no');
    const url = await receiver.start();
    const sink = sinkFor(url, 0);
    const outcomes: Array<[string, boolean, unknown]> = [];
    for (const _ of statuses) {
      const err = await failureOf(sink.send(sampleEvents(1)));
      if (!isSwitchyardError(err)) throw new Error('expected a SwitchyardError');
      outcomes.push([err.code, err.retryable, err.details?.retryAfterMs]);
    }
    await sink.close();
    expect(outcomes).toEqual([
      ['SWY_SINK_UNAVAILABLE', true, 3000],
      ['SWY_SINK_UNAVAILABLE', true, 3000],
      ['SWY_SINK_UNAVAILABLE', true, 3000],
      ['SWY_SINK_REJECTED', false, undefined],
      ['SWY_SINK_REJECTED', false, undefined],
    ]);
  });

  it('sends basic auth from the URL and reports an event that cannot be serialized as rejected', async () => {
    receiver = new HttpReceiver();
    const url = await receiver.start();
    const sink = sinkFor(url.replace('http://', 'http://user:p%40ss@'), 0);
    const [good, bad] = sampleEvents(2);
    const broken = { ...bad, data: { ...bad?.data, big: 1n } } as never;
    const { rejected } = await sink.send([good as never, broken]);
    await sink.close();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toContain('cannot be serialized');
    expect(receiver.events()).toEqual([good]);
    expect(receiver.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    );
  });
});
