import { readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-trunc');
const receiver = new HttpReceiver();
const proxies: EventProxy[] = [];

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close({ deadlineMs: 500 });
  await receiver.stop();
});
afterAll(() => tmp.cleanup());

const HEADER = 12;

/** The records of a segment file: where each starts and ends, and its event id (framing: magic, crc, length). */
async function records(path: string): Promise<Array<{ start: number; end: number; id: string }>> {
  const buf = await readFile(path);
  const out: Array<{ start: number; end: number; id: string }> = [];
  for (let at = 0; at + HEADER <= buf.length; ) {
    const end = at + HEADER + buf.readUInt32LE(at + 8);
    out.push({ start: at, end, id: (JSON.parse(buf.subarray(at + HEADER, end).toString()) as Envelope).id });
    at = end;
  }
  return out;
}

/** Cuts a segment in the middle of its record number `index`; returns the ids that were on disk after the cut. */
async function cutInRecord(path: string, index: number): Promise<string[]> {
  const all = await records(path);
  const victim = all[index] as { start: number; end: number };
  await truncate(path, victim.start + HEADER + Math.floor((victim.end - victim.start - HEADER) / 2));
  return all.slice(index).map((r) => r.id);
}

describe('fault: a spool segment truncated while the proxy is stopped', () => {
  it('the torn records are counted in /metrics, every valid record around them is delivered, no crash', async () => {
    let up = false;
    const ok = new Set<number>();
    receiver.responder = (n, _req, res) => {
      if (!up) return void res.writeHead(503).end();
      ok.add(n);
      res.writeHead(200).end();
    };
    const url = await receiver.start();
    const dir = join(tmp.dir, 'spool');
    const settings = proxySettings(tmp.dir, {
      target: { type: 'http', http: { url, timeout_ms: 2000 } as never },
      // 1 MiB: segments of 128 KiB, so the stream below spans several.
      spool: { enabled: true, dir, max_bytes: 1024 * 1024 },
      retry: { initial_ms: 20, max_ms: 200 },
    });
    const logger = createLogger({ level: 'silent' });

    // A stream into the proxy while the sink is down: everything stays in the spool.
    const first = createEventProxy(settings, { logger });
    proxies.push(first);
    await first.start();
    const events = sampleEvents(1500, 'ftrunc');
    const run = steadyStream({
      events,
      batch: 50,
      intervalMs: 5,
      maxMs: 20_000,
      send: publishTo(first),
    });
    await run.done;
    await first.close({ deadlineMs: 200 });

    const segments = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();
    expect(segments.length).toBeGreaterThanOrEqual(4);
    // One sealed segment in the middle and the last one, each cut inside a record.
    const middle = join(dir, segments[1] as string);
    const last = join(dir, segments.at(-1) as string);
    const lostMiddle = await cutInRecord(middle, Math.floor((await records(middle)).length / 2));
    const lostLast = await cutInRecord(last, Math.floor((await records(last)).length / 2));
    const lost = new Set([...lostMiddle, ...lostLast]);

    up = true;
    const second = createEventProxy(settings, { logger });
    proxies.push(second);
    await second.start();
    await second.flush(20_000);

    const expected = run.acked.filter((id) => !lost.has(id));
    const delivered = (receiver.events(ok) as Envelope[]).map((e) => e.id);
    const t = tally(expected, delivered);
    const metrics = await scrape(second.address?.url as string);
    report('spool segments truncated mid-record', t, {
      'records cut off': lost.size,
      'corrupt records counted': metrics.get('switchyard_spool_corrupt_records_total') ?? 0,
    });
    expect(t.sent).toBe(events.length - lost.size);
    expect(t.missing).toEqual([]);
    // Only the records physically cut off are gone; none of them reappears.
    expect(t.unexpected).toEqual([]);
    expect(metrics.get('switchyard_spool_corrupt_records_total')).toBe(2);
    expect(metrics.get('switchyard_spool_corrupt_bytes_total')).toBeGreaterThan(0);
    expect(metrics.get('switchyard_spool_events')).toBe(0);
  });
});
