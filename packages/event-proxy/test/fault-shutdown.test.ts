import { join } from 'node:path';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { postEvents, publishTo, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { HttpReceiver } from './support/http-receiver.js';
import { type ProxyProcess, spawnProxy } from './support/proxy-process.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-shutdown');
const receiver = new HttpReceiver();
const proxies: EventProxy[] = [];
const processes: ProxyProcess[] = [];

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close({ deadlineMs: 500 });
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await receiver.stop();
});
afterAll(() => tmp.cleanup());

describe('fault: shutdown', () => {
  it('drains what is queued within the deadline: a restart on the same spool finds nothing left', async () => {
    const ok = new Set<number>();
    receiver.responder = (n, _req, res) => {
      ok.add(n);
      setTimeout(() => res.writeHead(200).end(), 20);
    };
    const settings = proxySettings(tmp.dir, {
      target: { type: 'http', http: { url: await receiver.start() } as never },
      spool: { enabled: true, dir: join(tmp.dir, 'drain.spool') },
      shutdown: { timeout_ms: 20_000 },
    });
    const logger = createLogger({ level: 'silent' });
    const p = createEventProxy(settings, { logger });
    proxies.push(p);
    await p.start();
    const events = sampleEvents(1000, 'fdrain');
    const run = steadyStream({
      events,
      batch: 100,
      intervalMs: 1,
      maxMs: 10_000,
      send: publishTo(p),
    });
    await run.done;
    // The default deadline is settings.shutdown.timeout_ms.
    await p.close();

    const t = tally(
      run.acked,
      (receiver.events(ok) as Envelope[]).map((e) => e.id),
    );
    report('shutdown drains within the deadline', t);
    expect(t.missing).toEqual([]);
    const again = createEventProxy(settings, { logger });
    proxies.push(again);
    await again.start();
    expect((await scrape(again.address?.url as string)).get('switchyard_spool_events')).toBe(0);
  });

  it('SIGTERM with the sink down: the process exits at EVENT_SHUTDOWN_TIMEOUT, what is left stays in the spool and is delivered after a restart', async () => {
    let up = false;
    const ok = new Set<number>();
    receiver.responder = (n, _req, res) => {
      if (!up) return void res.writeHead(503).end();
      ok.add(n);
      res.writeHead(200).end();
    };
    const url = await receiver.start();
    const spoolDir = join(tmp.dir, 'sigterm.spool');
    const child = await spawnProxy({
      TARGET_TYPE: 'http',
      TARGET_HTTP_URL: url,
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_SPOOL_DIR: spoolDir,
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'sigterm.dead.ndjson'),
      EVENT_RETRY_MAX_DELAY: '200ms',
      EVENT_SHUTDOWN_TIMEOUT: '500ms',
    });
    processes.push(child);
    const events = sampleEvents(200, 'fsigterm');
    const acked: string[] = [];
    for (let i = 0; i < events.length; i += 50) {
      const batch = events.slice(i, i + 50);
      expect((await postEvents(child.url, batch)).status).toBe(202);
      acked.push(...batch.map((e) => e.id));
    }
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.logs).toContainEqual(
      expect.objectContaining({ msg: 'stopping: delivering what is queued', deadline_ms: 500 }),
    );
    expect(child.logs).toContainEqual(
      expect.objectContaining({
        msg: 'events not delivered yet stay in the spool for the next start',
        events: 200,
      }),
    );

    up = true;
    const again = createEventProxy(
      proxySettings(tmp.dir, {
        target: { type: 'http', http: { url } as never },
        spool: { enabled: true, dir: spoolDir },
      }),
      { logger: createLogger({ level: 'silent' }) },
    );
    proxies.push(again);
    await again.start();
    await again.flush(10_000);
    const t = tally(
      acked,
      (receiver.events(ok) as Envelope[]).map((e) => e.id),
    );
    report('SIGTERM with the sink down, then restart', t);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
  }, 90_000);
});
