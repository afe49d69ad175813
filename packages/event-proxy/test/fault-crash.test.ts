import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createEventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskSpool } from '../src/spool/index.js';
import { eventually, postEvents, report, scrape, steadyStream, tally } from './support/fault-stream.js';
import { HttpReceiver } from './support/http-receiver.js';
import { type ProxyProcess, spawnProxy } from './support/proxy-process.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('fault-crash');
const receiver = new HttpReceiver();
const processes: ProxyProcess[] = [];

afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await receiver.stop();
  tmp.cleanup();
});

describe('fault: the proxy killed with SIGKILL mid-stream', () => {
  it('started again on the same spool, it delivers every event the ingest acknowledged (202); a second process is refused the spool', async () => {
    // A sink slower than the stream, so the spool holds a backlog whenever the proxy is killed.
    const received: string[] = [];
    receiver.responder = (_n, req, res) => {
      received.push(...(JSON.parse(req.body) as Envelope[]).map((e) => e.id));
      setTimeout(() => res.writeHead(200).end(), 40);
    };
    const url = await receiver.start();
    const spoolDir = join(tmp.dir, 'spool');
    const env = {
      TARGET_TYPE: 'http',
      TARGET_HTTP_URL: url,
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_SPOOL_DIR: spoolDir,
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'dead.ndjson'),
      EVENT_BATCH_MAX_EVENTS: '50',
      EVENT_BATCH_LINGER: '5ms',
      EVENT_RETRY_INITIAL: '20ms',
      EVENT_RETRY_MAX_DELAY: '200ms',
    };

    const start = async () => {
      const p = await spawnProxy(env);
      processes.push(p);
      return p;
    };
    let current = await start();
    let live: Promise<ProxyProcess> = Promise.resolve(current);
    let refusedSpool: unknown;

    const events = sampleEvents(3000, 'fcrash');
    const run = steadyStream({
      events,
      batch: 20,
      intervalMs: 10,
      maxMs: 90_000,
      // Acknowledged only on a 202; a request cut by the kill may still have been taken (then delivered).
      send: async (batch) => {
        const target = await live;
        try {
          return (await postEvents(target.url, batch)).status === 202;
        } catch {
          return false;
        }
      },
    });

    const kills: number[] = [];
    const backlog: number[] = [];
    for (const at of [800, 1800]) {
      await run.whenAcked(at);
      if (kills.length === 0) {
        // While the proxy runs, another one (here in-process) cannot open its spool.
        const intruder = createEventProxy(
          proxySettings(tmp.dir, {
            target: { type: 'http', http: { url } as never },
            spool: { enabled: true, dir: spoolDir },
          }),
          { logger: createLogger({ level: 'silent' }) },
        );
        refusedSpool = await intruder.start().catch((err: unknown) => err);
        await intruder.close({ deadlineMs: 0 });
      }
      let restarted!: (p: ProxyProcess) => void;
      live = new Promise((resolve) => {
        restarted = resolve;
      });
      // What the spool holds undelivered at the kill.
      backlog.push((await scrape(current.url)).get('switchyard_spool_events') ?? 0);
      current.child.kill('SIGKILL');
      expect(await current.exited).toBe('SIGKILL');
      kills.push(run.acked.length);
      current = await start();
      restarted(current);
    }
    await run.done;

    const acked = new Set(run.acked);
    const allDelivered = () => {
      const got = new Set(received);
      return [...acked].every((id) => got.has(id));
    };
    expect(await eventually(allDelivered, 30_000)).toBe(true);
    current.child.kill('SIGTERM');
    expect(await current.exited).toBe(0);

    const t = tally(run.acked, received, run.attempted);
    report('proxy killed with SIGKILL (twice) and restarted', t, {
      'acknowledged at the kills': kills.join('/'),
      'spooled undelivered at the kills': backlog.join('/'),
      'sent but not acknowledged': run.attempted.size - run.acked.length,
    });
    expect(refusedSpool).toMatchObject({ code: 'SWY_SPOOL_LOCKED' });
    expect((refusedSpool as Error).message).toContain(`in use by process ${processes[0]?.child.pid}`);
    expect(t.sent).toBeGreaterThan(kills[1] as number);
    for (const held of backlog) expect(held).toBeGreaterThan(0);
    expect(t.missing).toEqual([]);
    expect(t.unexpected).toEqual([]);
    // The restarts took over the lock left by the killed process.
    expect(processes[2]?.logs.some((l) => l.msg === 'event proxy started' && l.queue === 'spool')).toBe(true);
  }, 120_000);

  it('the spool lock: one left by a dead process is taken over, a second open in the same process is refused', async () => {
    const dir = join(tmp.dir, 'lock');
    await mkdir(dir, { recursive: true });
    // The pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    writeFileSync(join(dir, 'LOCK'), `${dead}\n`);
    const logger = createLogger({ level: 'silent' });
    const options = { dir, maxBytes: 1024 * 1024, fullPolicy: 'block' as const, logger };
    const spool = await DiskSpool.open(options);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    const second = await DiskSpool.open(options).catch((err: unknown) => err);
    expect(second).toMatchObject({
      code: 'SWY_SPOOL_LOCKED',
      message: expect.stringContaining('in use by this process'),
    });
    await spool.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    // Released on close: it opens again.
    await (await DiskSpool.open(options)).close();
  });
});
