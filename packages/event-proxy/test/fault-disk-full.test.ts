import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flakySink } from './support/flaky-sink.js';
import { HttpReceiver } from './support/http-receiver.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

// Issue 16, probe 4: on a 2 MB tmpfs the spool kept and delivered everything, but once the sink had
// recovered and the spool drained, ingest still answered 503 ("short write") for good: the delivered
// active segment filled the disk and was never reclaimed. After a restart on a full disk /readyz said ready.
// A real filesystem that fills up: a 2 MiB tmpfs mounted for this file (tests run as root).

const tmp = tempDir('disk-full');
const mnt = join(tmp.dir, 'tmpfs');
const receiver = new HttpReceiver();
let proxy: EventProxy | undefined;

let mounted = false;

beforeAll(() => {
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    throw new Error(
      `this test mounts a 2 MiB tmpfs and needs root (CAP_SYS_ADMIN) to do so; mount failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`,
    );
  }
});
afterEach(async () => {
  logs.length = 0;
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
  await receiver.stop();
  if (!mounted) return;
  for (const name of readdirSync(mnt)) rmSync(join(mnt, name), { recursive: true, force: true });
});
afterAll(() => {
  // Lazily: a file the proxy still holds open must not leave the mount (and the temp dir) behind.
  if (mounted) execFileSync('umount', ['-l', mnt]);
  tmp.cleanup();
});

const logs: Array<{ msg?: string }> = [];
const logger = createLogger({
  level: 'info',
  destination: { write: (line: string) => logs.push(JSON.parse(line)) } as never,
});
const logCount = (msg: string) => logs.filter((l) => l.msg === msg).length;

async function startProxy(url: string): Promise<EventProxy> {
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url, timeout_ms: 2000 } as never },
    // The default bound (1 GiB, 16 MiB segments): the disk fills long before the spool does.
    spool: { enabled: true, dir: join(mnt, 'spool') },
    retry: { initial_ms: 20, max_ms: 200 },
    dead_letter: { path: join(tmp.dir, 'dead.ndjson') },
  });
  const p = createEventProxy(settings, { logger });
  await p.start();
  return p;
}

async function post(base: string, events: Envelope[]) {
  const res = await request(`${base}/events`, { method: 'POST', body: JSON.stringify(events) });
  const body = (await res.body.json()) as { error?: { code: string } };
  return { status: res.statusCode, code: body.error?.code };
}

async function queueReady(base: string): Promise<boolean> {
  const res = await request(`${base}/readyz`);
  return ((await res.body.json()) as { checks: { queue: boolean } }).checks.queue;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

const spoolBytes = () =>
  readdirSync(join(mnt, 'spool'))
    .filter((n) => n.endsWith('.seg'))
    .reduce((n, name) => n + statSync(join(mnt, 'spool', name)).size, 0);

/** Fills the tmpfs with a file, then gives `free` bytes back; returns the file's path. */
function fillLeaving(free: number): string {
  const filler = join(mnt, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, block);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
  truncateSync(filler, size - free);
  return filler;
}

describe('fault: the spool disk full (a 2 MiB tmpfs)', () => {
  it('ingest refuses with SWY_SPOOL_IO, /readyz is not ready; once the sink drains the spool it takes events again by itself, losing nothing', async () => {
    const s = await flakySink(receiver);
    proxy = await startProxy(s.url);
    const base = proxy.address?.url as string;
    const accepted: string[] = [];
    // Fill the disk: batches of 20 events (~8 KB) until the spool cannot write; bounded in count.
    let refused: { status: number; code?: string } | undefined;
    for (let i = 0; i < 1000 && !refused; i++) {
      const batch = sampleEvents(20, `fill${i}`);
      const res = await post(base, batch);
      if (res.status === 202) accepted.push(...batch.map((e) => e.id));
      else refused = res;
    }
    expect(refused).toEqual({ status: 503, code: 'SWY_SPOOL_IO' });
    expect(await queueReady(base)).toBe(false);

    s.up();
    // The spool drains; the delivered segment is given back and writes work again without a restart.
    const after = sampleEvents(20, 'after');
    await eventually(async () => (await post(base, after)).status === 202, 20_000);
    accepted.push(...after.map((e) => e.id));
    await eventually(() => queueReady(base), 5000);
    await proxy.flush(20_000);
    expect(new Set(s.delivered())).toEqual(new Set(accepted));
    // What was delivered no longer takes the disk.
    expect(spoolBytes()).toBeLessThan(64 * 1024);
  });

  it('started on a full disk, /readyz is not ready until space frees, then ready by itself', async () => {
    const s = await flakySink(receiver);
    s.up();
    // Fill the tmpfs, then give one page back: enough for the spool's lock file, not for a write.
    const filler = fillLeaving(4096);
    proxy = await startProxy(s.url);
    const base = proxy.address?.url as string;
    expect(await queueReady(base)).toBe(false);
    expect((await post(base, sampleEvents(2, 'full'))).code).toBe('SWY_SPOOL_IO');
    rmSync(filler);
    await eventually(() => queueReady(base), 10_000);
    expect((await post(base, sampleEvents(2, 'room'))).status).toBe(202);
  });

  it('a failed write larger than the space left: /readyz stays not ready until that much is free (the probe writes as much)', async () => {
    const s = await flakySink(receiver);
    s.up();
    proxy = await startProxy(s.url);
    const base = proxy.address?.url as string;
    // 64 KiB free: a one-block probe passes there, a batch of 600 events (~180 KB) does not.
    const filler = fillLeaving(64 * 1024);
    const batch = sampleEvents(600, 'large');
    expect(JSON.stringify(batch).length).toBeGreaterThan(128 * 1024);
    expect(await post(base, batch)).toEqual({ status: 503, code: 'SWY_SPOOL_IO' });
    // The probe runs each second: over three of them, readiness never comes back while the batch
    // could not be written (before, the 4 KiB probe passed and /readyz said ready).
    const until = Date.now() + 3500;
    while (Date.now() < until) {
      expect(await queueReady(base)).toBe(false);
      await sleep(100);
    }
    expect(await post(base, batch)).toEqual({ status: 503, code: 'SWY_SPOOL_IO' });
    rmSync(filler);
    await eventually(() => queueReady(base), 10_000);
    expect((await post(base, batch)).status).toBe(202);
    await proxy.flush(20_000);
    expect(new Set(s.delivered())).toEqual(new Set(batch.map((e) => e.id)));
    expect(logCount('spool writes again')).toBe(1);
  });
});
