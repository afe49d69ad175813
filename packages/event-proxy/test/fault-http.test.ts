import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-http');
const receiver = new HttpReceiver();
let proxy: EventProxy | undefined;

afterEach(async () => {
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
  await receiver.stop();
});
afterAll(() => tmp.cleanup());

/** A proxy on a disk spool delivering to `url`. */
async function startProxy(name: string, url: string, timeoutMs: number): Promise<EventProxy> {
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url, timeout_ms: timeoutMs } as never },
    spool: { enabled: true, dir: join(tmp.dir, `${name}.spool`) },
    retry: { initial_ms: 20, max_ms: 300 },
    batch: { max_events: 50, linger_ms: 5 },
    dead_letter: { path: join(tmp.dir, `${name}.dead.ndjson`) },
  });
  const p = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
  await p.start();
  return p;
}

/** Publishes `events` in-process at a steady pace (25 every 40 ms) and waits until the spool took them all. */
async function stream(p: EventProxy, events: Envelope[]) {
  const run = steadyStream({
    events,
    batch: 25,
    intervalMs: 40,
    maxMs: 20_000,
    send: publishTo(p),
  });
  await run.done;
  return run;
}

describe('fault: HTTP sink', () => {
  it('answering 503 for a while, then recovering: every event is delivered', async () => {
    const started = Date.now();
    // Down from 0.5 s to 2 s into a stream of about 2.4 s.
    const down = () => Date.now() - started > 500 && Date.now() - started < 2000;
    const ok = new Set<number>();
    let refused = 0;
    receiver.responder = (n, _req, res) => {
      if (down()) {
        refused++;
        res.writeHead(503, { 'retry-after': '0' }).end('down');
        return;
      }
      ok.add(n);
      res.writeHead(200).end();
    };
    proxy = await startProxy('503', await receiver.start(), 2000);
    const events = sampleEvents(1500, 'h503');
    const run = await stream(proxy, events);
    await proxy.flush(30_000);

    const delivered = (receiver.events(ok) as Envelope[]).map((e) => e.id);
    const t = tally(run.acked, delivered);
    const metrics = await scrape(proxy.address?.url as string);
    report('http 503 then recovery', t, {
      'requests answered 503': refused,
      retried: metrics.get('switchyard_events_retried_total{sink="http"}') ?? 0,
    });
    expect(refused).toBeGreaterThan(0);
    expect(t.sent).toBe(events.length);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(metrics.get('switchyard_events_retried_total{sink="http"}')).toBeGreaterThan(0);
    expect(metrics.get('switchyard_events_received_total{source="in_process"}')).toBe(events.length);
    expect(metrics.get('switchyard_events_delivered_total{sink="http"}')).toBe(delivered.length);
    // Every confirmed event's lag was observed; nothing is left in the spool.
    expect(metrics.get('switchyard_event_delivery_lag_seconds_count{sink="http"}')).toBe(delivered.length);
    expect(metrics.get('switchyard_spool_events')).toBe(0);
    expect(metrics.get('switchyard_spool_bytes')).toBe(0);
    expect(metrics.get('switchyard_sink_send_seconds_count{sink="http",outcome="retryable"}')).toBe(refused);
  });

  it('slower than the timeout for a while: sends time out and are retried, every event is delivered', async () => {
    const started = Date.now();
    const slow = () => Date.now() - started > 500 && Date.now() - started < 2000;
    const ok = new Set<number>();
    let late = 0;
    receiver.responder = (n, _req, res) => {
      // The receiver takes the events either way; a late answer reaches a client that gave up, which
      // sends them again (duplicates, as at-least-once allows).
      ok.add(n);
      if (slow()) {
        late++;
        setTimeout(() => res.writeHead(200).end(), 700);
        return;
      }
      res.writeHead(200).end();
    };
    proxy = await startProxy('slow', await receiver.start(), 300);
    const events = sampleEvents(1500, 'hslow');
    const run = await stream(proxy, events);
    await proxy.flush(30_000);

    const delivered = (receiver.events(ok) as Envelope[]).map((e) => e.id);
    const t = tally(run.acked, delivered);
    const metrics = await scrape(proxy.address?.url as string);
    report('http slower than the timeout', t, { 'requests answered late': late });
    expect(late).toBeGreaterThan(0);
    expect(t.sent).toBe(events.length);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    // Each late answer came after the sink gave up and sent the batch again (within the send, as
    // retry_max allows, or from the pipeline): those events arrived twice.
    expect(t.duplicates).toBeGreaterThan(0);
    expect(metrics.get('switchyard_spool_events')).toBe(0);
  });
});
