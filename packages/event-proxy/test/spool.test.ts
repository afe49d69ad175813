import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Envelope, isSwitchyardError } from '@switchyard/shared';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DiskSpool, type DiskSpoolOptions } from '../src/spool/index.js';
import { drain, ids, makeEvents, segmentFiles, silent, tempDir } from './fixtures/spool/helpers.js';
import { failureOf } from './support/wait.js';

const dirs: string[] = [];
const spools: DiskSpool[] = [];

afterAll(async () => {
  await Promise.all(spools.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A spool in a fresh temp dir (or `dir`), closed after the file's tests. */
async function openSpool(options: Partial<DiskSpoolOptions> = {}): Promise<DiskSpool> {
  let dir = options.dir;
  if (!dir) {
    dir = await tempDir();
    dirs.push(dir);
  }
  const spool = await DiskSpool.open({
    maxBytes: 1024 * 1024,
    fullPolicy: 'block',
    segmentBytes: 4096,
    logger: silent,
    ...options,
    dir,
  });
  spools.push(spool);
  return spool;
}

// Every test event has the same size on disk: header plus JSON.
const FRAME = 12 + Buffer.byteLength(JSON.stringify(makeEvents(1)[0]));

describe('DiskSpool: append, read, ack', () => {
  it('hands events out in append order across segment rolls, and acks release them', async () => {
    const spool = await openSpool({ segmentBytes: 4 * FRAME });
    const events = makeEvents(100);
    for (let i = 0; i < 100; i += 7) {
      expect(await spool.append(events.slice(i, i + 7))).toEqual({
        accepted: Math.min(7, 100 - i),
        dropped: 0,
      });
    }
    expect(spool.stats()).toMatchObject({ events: 100, bytes: 100 * FRAME, appended: 100 });
    expect(spool.stats().segments).toBeGreaterThanOrEqual(25);

    const seen: string[] = [];
    while (seen.length < 100) {
      const batch = await spool.read(13, 0);
      expect(batch).not.toBeNull();
      if (!batch) break;
      expect(batch.events.length).toBeLessThanOrEqual(13);
      seen.push(...ids(batch.events));
      await spool.ack(batch);
    }
    expect(seen).toEqual(ids(events));
    expect(spool.depth()).toEqual({ events: 0, bytes: 0 });
  });

  it('a reader that keeps up and one far behind (past the in-memory tail) both get every event in order', async () => {
    const spool = await openSpool({ maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 });
    const seen: string[] = [];
    const readAll = async () => {
      for (let held = spool.depth().events; held > 0; held = spool.depth().events) {
        const batch = await spool.read(500, 0);
        if (!batch) return;
        seen.push(...ids(batch.events));
        await spool.ack(batch);
      }
    };
    // Caught up: each append is read right after it.
    for (let i = 0; i < 300; i += 30) {
      await spool.append(makeEvents(30, i));
      await readAll();
    }
    // Behind by about 5 MiB (more than the in-memory tail holds): the oldest come from the segment file.
    for (let i = 300; i < 15300; i += 500) await spool.append(makeEvents(500, i));
    await readAll();
    // Caught up again, then behind again: the file reader resumes after what the tail served.
    await spool.append(makeEvents(10, 15300));
    await readAll();
    for (let i = 15310; i < 30310; i += 500) await spool.append(makeEvents(500, i));
    await readAll();
    expect(seen).toEqual(ids(makeEvents(30310)));
  });

  it('a reader behind the in-memory tail reads the files up to the newest records, then takes those from memory', async () => {
    const spool = await openSpool({ maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 });
    // About 7 MiB: the oldest let go of by the tail (4 MiB), the newest kept.
    const events = makeEvents(20_000);
    for (let i = 0; i < events.length; i += 1000) await spool.append(events.slice(i, i + 1000));
    const read: Envelope[] = [];
    while (read.length < events.length) {
      const batch = await spool.read(700, 0);
      if (!batch) break;
      read.push(...batch.events);
      await spool.ack(batch);
    }
    expect(ids(read)).toEqual(ids(events));
    // Parsed from the file: equal, not the same object. Kept in memory: the very object appended.
    expect(read[0]).not.toBe(events[0]);
    expect(read[0]).toEqual(events[0]);
    expect(read.at(-1)).toBe(events.at(-1));
    expect(spool.depth()).toEqual({ events: 0, bytes: 0 });
  });

  it('the in-memory tail keeps no more than its newest records, also of a write split in several (fsync always)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const spool = await openSpool({
      maxBytes: 64 * 1024 * 1024,
      segmentBytes: 64 * 1024 * 1024,
      fsync: 'always',
    });
    // About 6 MiB in one append, written a frame at a time: the tail keeps the newest 4 MiB of them.
    let events: Envelope[] | undefined = makeEvents(1500, 0, 4000);
    const oldest = new WeakRef(events[0] as Envelope);
    const appended = spool.append(events);
    events = undefined;
    await appended;
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    // Let go by the tail: nothing else holds the oldest event, so it is collected.
    expect(oldest.deref()).toBeUndefined();
    expect(await drain(spool, { ack: true })).toEqual(ids(makeEvents(1500, 0, 0)));
  });

  it('a read resolves once max events are there, or with fewer once the linger is over', async () => {
    const spool = await openSpool();
    // Nothing yet: the read waits for the appends. A linger of a minute would time the test out if the
    // read did not resolve as soon as `max` events arrived.
    const pending = spool.read(5, 60_000);
    await spool.append(makeEvents(3, 0));
    await spool.append(makeEvents(3, 3));
    const full = await pending;
    expect(ids(full?.events ?? [])).toEqual(['e000000', 'e000001', 'e000002', 'e000003', 'e000004']);

    const rest = await spool.read(5, 20);
    expect(ids(rest?.events ?? [])).toEqual(['e000005']);
  });

  it('a pending read resolves null on close, and appends are refused after it', async () => {
    const spool = await openSpool();
    const pending = spool.read(10, 10);
    await spool.close();
    expect(await pending).toBeNull();
    expect(await spool.read(1, 0)).toBeNull();
    const err = await failureOf(spool.append(makeEvents(1)));
    expect(isSwitchyardError(err, 'SWY_SHUTTING_DOWN')).toBe(true);
  });

  it('after close and open, the unacked events are delivered again and the acked ones are not', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const first = await openSpool({ dir, segmentBytes: 5 * FRAME });
    await first.append(makeEvents(50));
    const acked = await first.read(20, 0);
    if (!acked) throw new Error('no batch');
    await first.ack(acked);
    // Handed out but never acked (the sink did not confirm before the restart).
    expect((await first.read(10, 0))?.events).toHaveLength(10);
    await first.close();

    const second = await openSpool({ dir, segmentBytes: 5 * FRAME });
    expect(second.stats()).toMatchObject({ events: 30, bytes: 30 * FRAME, corruptRecords: 0 });
    expect(await drain(second, { ack: true })).toEqual(ids(makeEvents(30, 20)));
    // New appends after a reopen follow the recovered ones.
    await second.append(makeEvents(2, 50));
    expect(await drain(second, { ack: true })).toEqual(['e000050', 'e000051']);
    await second.close();

    const third = await openSpool({ dir, segmentBytes: 5 * FRAME });
    expect(third.depth()).toEqual({ events: 0, bytes: 0 });
  });

  it('deletes a segment file only once every record in it is acked', async () => {
    const spool = await openSpool({ segmentBytes: 4 * FRAME });
    const dir = dirs.at(-1) as string;
    await spool.append(makeEvents(12)); // three full segments
    const files = await segmentFiles(dir);
    expect(files).toHaveLength(3);

    // Three of the first segment's four records: it stays.
    const part = await spool.read(3, 0);
    if (!part) throw new Error('no batch');
    await spool.ack(part);
    const rest = await spool.read(5, 0); // the last record of segment 1 and all of segment 2
    if (!rest) throw new Error('no batch');
    expect(await segmentFiles(dir)).toEqual(files);
    await spool.ack(rest);
    // Segment release runs after the checkpoint write, off the ack's path.
    await vi.waitFor(async () => expect(await segmentFiles(dir)).toEqual(files.slice(2)), {
      timeout: 20_000,
    });
    expect(spool.stats()).toMatchObject({ events: 4, segments: 1 });
  });

  it('paces checkpoint writes under a stream of acks, and close writes the last position at once', async () => {
    const spool = await openSpool({ checkpointIntervalMs: 60_000 });
    const dir = dirs.at(-1) as string;
    const onDisk = async () => JSON.parse(await readFile(join(dir, 'checkpoint'), 'utf8')) as unknown;
    await spool.append(makeEvents(4));
    const first = await spool.read(2, 0);
    if (!first) throw new Error('no batch');
    await spool.ack(first);
    // The first ack after a quiet spell is written at once.
    await vi.waitFor(async () => expect(await onDisk()).toEqual({ segment: 1, offset: 2 * FRAME }));
    const second = await spool.read(2, 0);
    if (!second) throw new Error('no batch');
    await spool.ack(second);
    await new Promise((r) => setTimeout(r, 200));
    expect(await onDisk()).toEqual({ segment: 1, offset: 2 * FRAME });
    // Not after the 60 s pause: close cuts it short.
    await spool.close();
    expect(await onDisk()).toEqual({ segment: 1, offset: 4 * FRAME });
  });

  it('writes and reads back with fsync always and never', async () => {
    for (const fsync of ['always', 'never'] as const) {
      const spool = await openSpool({ fsync, segmentBytes: 3 * FRAME });
      await spool.append(makeEvents(10));
      expect(await drain(spool, { ack: true })).toEqual(ids(makeEvents(10)));
    }
  });

  it('refuses an event that cannot be serialised, and writes nothing of that call', async () => {
    const spool = await openSpool();
    const bad = { ...makeEvents(1)[0], data: { n: 1n } } as unknown as ReturnType<typeof makeEvents>[0];
    const err = await failureOf(spool.append([...makeEvents(2), bad]));
    expect(isSwitchyardError(err, 'SWY_INVALID_EVENT')).toBe(true);
    expect(spool.stats()).toMatchObject({ events: 0, appended: 0 });
  });

  it('refuses to open a directory it cannot use, with a clear error', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(openSpool({ dir: file })).rejects.toMatchObject({
      code: 'SWY_SPOOL_IO',
      message: expect.stringContaining(file),
    });
  });

  it('refuses to ack a batch that did not come from it', async () => {
    const spool = await openSpool();
    await expect(spool.ack({ events: [], token: {} })).rejects.toMatchObject({
      code: 'SWY_INVALID_ARGUMENT',
    });
  });
});

describe('DiskSpool: full policies', () => {
  it('block: refuses with SWY_QUEUE_FULL and a retryAfterMs, writes nothing, takes events again after acks', async () => {
    const spool = await openSpool({ maxBytes: 10 * FRAME, fullPolicy: 'block', retryAfterMs: 750 });
    expect(await spool.append(makeEvents(8))).toEqual({ accepted: 8, dropped: 0 });
    const err = await failureOf(spool.append(makeEvents(3, 8)));
    expect(isSwitchyardError(err, 'SWY_QUEUE_FULL')).toBe(true);
    if (!isSwitchyardError(err)) return;
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.details?.retryAfterMs).toBe(750);
    expect(spool.stats()).toMatchObject({ events: 8, bytes: 8 * FRAME, appended: 8 });

    // Two still fit.
    expect(await spool.append(makeEvents(2, 8))).toEqual({ accepted: 2, dropped: 0 });
    const batch = await spool.read(4, 0);
    if (!batch) throw new Error('no batch');
    await spool.ack(batch);
    expect(await spool.append(makeEvents(3, 10))).toEqual({ accepted: 3, dropped: 0 });
    expect(await drain(spool)).toEqual(ids(makeEvents(9, 4)));
    expect(spool.stats().dropped).toEqual({ full_newest: 0, full_oldest: 0 });
  });

  it('block: an empty spool takes one batch larger than its bound (or it could never get in)', async () => {
    const spool = await openSpool({ maxBytes: 2 * FRAME, fullPolicy: 'block' });
    expect(await spool.append(makeEvents(5))).toEqual({ accepted: 5, dropped: 0 });
    await expect(spool.append(makeEvents(1, 5))).rejects.toMatchObject({ code: 'SWY_QUEUE_FULL' });
  });

  it('drop_newest: keeps the events that fit, drops and counts the rest', async () => {
    const spool = await openSpool({ maxBytes: 10 * FRAME, fullPolicy: 'drop_newest' });
    expect(await spool.append(makeEvents(6))).toEqual({ accepted: 6, dropped: 0 });
    expect(await spool.append(makeEvents(7, 6))).toEqual({ accepted: 4, dropped: 3 });
    expect(await spool.append(makeEvents(2, 13))).toEqual({ accepted: 0, dropped: 2 });
    expect(spool.stats()).toMatchObject({
      events: 10,
      bytes: 10 * FRAME,
      appended: 10,
      dropped: { full_newest: 5, full_oldest: 0 },
    });
    expect(await drain(spool)).toEqual(ids(makeEvents(10)));
  });

  it('drop_oldest: evicts the oldest unread events (never those handed out), counts them, never redelivers them', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const options = {
      dir,
      maxBytes: 12 * FRAME,
      fullPolicy: 'drop_oldest' as const,
      segmentBytes: 3 * FRAME,
    };
    const spool = await openSpool(options);
    await spool.append(makeEvents(12)); // full: four segments of three
    const inFlight = await spool.read(2, 0); // e0, e1 handed out to the sink, not yet confirmed
    if (!inFlight) throw new Error('no batch');

    // Five more: the five oldest unread (e2..e6) make room; e0, e1 are still owed to the sink.
    expect(await spool.append(makeEvents(5, 12))).toEqual({ accepted: 5, dropped: 5 });
    expect(spool.stats()).toMatchObject({
      events: 12,
      bytes: 12 * FRAME,
      dropped: { full_newest: 0, full_oldest: 5 },
    });
    // Again while e0, e1 are still out: e7, e8 go.
    expect(await spool.append(makeEvents(2, 17))).toEqual({ accepted: 2, dropped: 2 });
    const next = await spool.read(100, 0);
    if (!next) throw new Error('no batch');
    expect(ids(next.events)).toEqual(ids(makeEvents(10, 9)));

    // The whole unread rest goes at once, and the newest of an oversized call make way for each other.
    await spool.ack(inFlight);
    await spool.ack(next);
    await spool.append(makeEvents(12, 100));
    expect(await spool.append(makeEvents(14, 200))).toEqual({ accepted: 12, dropped: 14 });
    expect(spool.stats().dropped).toEqual({ full_newest: 0, full_oldest: 21 });
    // Segments of evicted records are deleted like acked ones.
    await vi.waitFor(async () => expect((await segmentFiles(dir)).length).toBeLessThanOrEqual(5), {
      timeout: 5000,
    });
    await spool.close();

    const reopened = await openSpool(options);
    expect(await drain(reopened)).toEqual(ids(makeEvents(12, 202)));
  });
});
