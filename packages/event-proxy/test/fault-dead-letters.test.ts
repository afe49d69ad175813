import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-dead');
const receiver = new HttpReceiver();
let proxy: EventProxy | undefined;

afterEach(async () => {
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
  await receiver.stop();
});
afterAll(() => tmp.cleanup());

interface DeadLine {
  time: string;
  sink: string;
  reason: string;
  event: Envelope;
}

const deadLetters = (path: string): DeadLine[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as DeadLine)
    : [];

async function startProxy(
  name: string,
  url: string,
  spool: boolean,
): Promise<{ p: EventProxy; dead: string }> {
  const dead = join(tmp.dir, `${name}.dead.ndjson`);
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url, timeout_ms: 2000 } as never },
    spool: { enabled: spool, dir: join(tmp.dir, `${name}.spool`) },
    batch: { max_events: 10, linger_ms: 5 },
    dead_letter: { path: dead },
  });
  const p = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
  await p.start();
  return { p, dead };
}

describe('fault: permanent failures go to the dead-letter file', () => {
  it('a batch the HTTP sink refuses with a 4xx: its events are dead-lettered with the sink and the reason, the rest delivered', async () => {
    const events = sampleEvents(300, 'fdead');
    // Three events the target refuses (422): each poisons its batch.
    const poison = new Set([events[17]?.id, events[150]?.id, events[299]?.id]);
    const ok = new Set<number>();
    receiver.responder = (n, req, res) => {
      const batch = JSON.parse(req.body) as Envelope[];
      if (batch.some((e) => poison.has(e.id))) return void res.writeHead(422).end('unprocessable');
      ok.add(n);
      res.writeHead(200).end();
    };
    const { p, dead } = await startProxy('http4xx', await receiver.start(), true);
    proxy = p;
    const run = steadyStream({
      events,
      batch: 10,
      intervalMs: 10,
      maxMs: 20_000,
      send: publishTo(p),
    });
    await run.done;
    await p.flush(20_000);

    const letters = deadLetters(dead);
    const delivered = (receiver.events(ok) as Envelope[]).map((e) => e.id);
    const t = tally(run.acked, [...delivered, ...letters.map((l) => l.event.id)]);
    const metrics = await scrape(p.address?.url as string);
    report('http 4xx → dead letters', t, { 'dead-lettered': letters.length });
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    expect(t.duplicates).toBe(0);
    for (const id of poison) expect(letters.map((l) => l.event.id)).toContain(id);
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const letter of letters) {
      expect(letter.sink).toBe('http');
      expect(letter.reason).toBe('SWY_SINK_REJECTED: HTTP sink refused the batch with 422');
      expect(Number.isNaN(Date.parse(letter.time))).toBe(false);
      expect(letter.event).toStrictEqual(byId.get(letter.event.id));
    }
    expect(metrics.get('switchyard_events_dead_lettered_total{sink="http"}')).toBe(letters.length);
    expect(
      metrics.get('switchyard_sink_send_seconds_count{sink="http",outcome="permanent"}'),
    ).toBeGreaterThanOrEqual(poison.size);
  });

  for (const spool of [true, false]) {
    it(`an event that cannot be serialized is dead-lettered at intake, the rest of its batch delivered (${spool ? 'disk spool' : 'memory queue'})`, async () => {
      const ok = new Set<number>();
      receiver.responder = (n, _req, res) => {
        ok.add(n);
        res.writeHead(200).end();
      };
      const { p, dead } = await startProxy(`unserializable-${spool}`, await receiver.start(), spool);
      proxy = p;
      const good = sampleEvents(9, `fser${spool}`);
      // A BigInt passes the schema (plugin_updated's from/to take any value) but has no JSON form.
      const bad = {
        ...good[2],
        id: `bad-${spool}`,
        event_type: 'plugin_updated',
        data: { plugin: 'qos/ratelimit/router', scope: '/x', change: 'config', from: 1n, to: 2n },
      } as unknown as Envelope;
      const batch = [...good.slice(0, 4), bad, ...good.slice(4)];
      expect(await p.publish(batch)).toEqual({ accepted: 9, filtered: 0, dropped: 0, deadLettered: 1 });
      await p.flush(10_000);

      expect((receiver.events(ok) as Envelope[]).map((e) => e.id)).toEqual(good.map((e) => e.id));
      const letters = deadLetters(dead);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        sink: 'http',
        reason: 'the event cannot be serialized as JSON: Do not know how to serialize a BigInt',
        // Written as close to the original as JSON allows.
        event: { id: `bad-${spool}`, data: { from: '1', to: '2' } },
      });
      const metrics = await scrape(p.address?.url as string);
      expect(metrics.get('switchyard_events_dead_lettered_total{sink="http"}')).toBe(1);
      expect(metrics.get('switchyard_events_received_total{source="in_process"}')).toBe(10);
    });
  }
});
