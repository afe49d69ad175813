import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DiskSpool } from '../src/spool/index.js';
import { drain, ids, makeEvents, segmentFiles, silent, tempDir } from './fixtures/spool/helpers.js';

// A segment roll whose directory fsync fails leaves the new, empty segment file behind. The next attempt
// at that segment must take it over: it used to fail with EEXIST at every append until a restart.

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A spool of small segments in a fresh temp dir. */
async function openSpool(): Promise<{ dir: string; spool: DiskSpool }> {
  const dir = await tempDir();
  dirs.push(dir);
  const spool = await DiskSpool.open({
    dir,
    maxBytes: 1024 * 1024,
    fullPolicy: 'block',
    segmentBytes: 2048,
    logger: silent,
  });
  return { dir, spool };
}

/** FileHandle's prototype, for making one fsync fail. */
async function fileHandleProto(dir: string): Promise<{ sync(): Promise<void> }> {
  const fh = await open(dir, 'r');
  await fh.close();
  return Object.getPrototypeOf(fh) as { sync(): Promise<void> };
}

describe('DiskSpool: creating a segment', () => {
  it('after a failed directory fsync at a roll, the next append takes the empty file over and nothing is lost', async () => {
    const { dir, spool } = await openSpool();
    try {
      const events = makeEvents(30);
      expect((await spool.append(events.slice(0, 5))).accepted).toBe(5);
      const segmentsBefore = (await segmentFiles(dir)).length;
      // The directory fsync of the next roll fails once (fsync `batch` syncs the directory at each roll).
      const sync = vi.spyOn(await fileHandleProto(dir), 'sync');
      sync.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      await expect(spool.append(events.slice(5, 25))).rejects.toThrow();
      sync.mockRestore();
      // The file the failed roll created is there, empty.
      expect((await segmentFiles(dir)).length).toBe(segmentsBefore + 1);

      expect((await spool.append(events.slice(5, 25))).accepted).toBe(20);
      expect((await spool.append(events.slice(25))).accepted).toBe(5);
      // All of them, in order; what the refused append had written before its roll failed comes twice
      // (it was refused, so its caller sent it again: at least once).
      expect([...new Set(await drain(spool, { ack: true }))]).toEqual(ids(events));
    } finally {
      await spool.close();
    }
  });

  it('never takes over a segment file that holds anything', async () => {
    const { dir, spool } = await openSpool();
    try {
      const events = makeEvents(20);
      expect((await spool.append(events.slice(0, 5))).accepted).toBe(5);
      // A stranger's file where the next segment goes.
      const files = await segmentFiles(dir);
      const next = join(
        dir,
        (files.at(-1) as string).replace(
          /(\d{16})\.seg$/,
          (_, n: string) => `${String(Number(n) + 1).padStart(16, '0')}.seg`,
        ),
      );
      const fh = await open(next, 'wx');
      await fh.writeFile('not a segment');
      await fh.close();
      await expect(spool.append(events.slice(5))).rejects.toThrow();
    } finally {
      await spool.close();
    }
  });
});
