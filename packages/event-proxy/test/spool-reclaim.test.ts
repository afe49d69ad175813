import { readdirSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskSpool } from '../src/spool/index.js';
import {
  capturingLogger,
  drain,
  makeEvents,
  segmentFiles,
  silent,
  tempDir,
} from './fixtures/spool/helpers.js';
import { until } from './support/wait.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function bytesOnDisk(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) if (name.endsWith('.seg')) n += statSync(join(dir, name)).size;
  return n;
}

describe('DiskSpool: reclaiming delivered space', () => {
  it('a fully delivered open segment past reclaimBytes is replaced and deleted, not kept until segmentBytes', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    // Segments may grow to 16 MiB; delivered bytes are given back past 8 KiB.
    const spool = await DiskSpool.open({
      dir,
      maxBytes: 1 << 30,
      fullPolicy: 'block',
      segmentBytes: 16 * 1024 * 1024,
      reclaimBytes: 8 * 1024,
      logger: silent,
    });
    try {
      for (let round = 0; round < 5; round++) {
        await spool.append(makeEvents(40, round * 40));
        expect(await drain(spool, { ack: true })).toHaveLength(40);
        await until(() => spool.depth().events === 0, 5000);
      }
      // Each round wrote ~10 KiB; without reclaiming the one segment would hold ~50 KiB.
      await until(() => bytesOnDisk(dir) < 8 * 1024, 2000);
      expect(spool.stats().segments).toBeLessThanOrEqual(2);
    } finally {
      await spool.close();
    }
  });

  it('replacing a delivered segment that keeps failing while writes fail: one warning, not one per probe', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const { logger, lines } = capturingLogger();
    const probeIntervalMs = 5;
    const spool = await DiskSpool.open({
      dir,
      maxBytes: 1 << 30,
      fullPolicy: 'block',
      segmentBytes: 4096,
      reclaimBytes: 1 << 20,
      probeIntervalMs,
      logger,
    });
    try {
      await spool.append(makeEvents(2));
      expect(await drain(spool, { ack: true })).toHaveLength(2);
      await until(() => spool.depth().events === 0, 5000);
      // The next segment and the probe file cannot be created (directories in their place): the next
      // write must roll and fails, and so does every probe and every attempt to replace the segment.
      const [open] = await segmentFiles(dir);
      const next = join(dir, `${String(Number(open?.slice(0, 16)) + 1).padStart(16, '0')}.seg`);
      await mkdir(next);
      await mkdir(join(dir, 'write-probe'));
      await expect(spool.append(makeEvents(1, 2, 5000))).rejects.toMatchObject({ code: 'SWY_SPOOL_IO' });
      // About 40 probes, each trying to replace the delivered segment again.
      await sleep(40 * probeIntervalMs);
      const warned = lines().filter((l) => l.msg === 'spool: replacing a delivered segment failed');
      expect(warned).toHaveLength(1);
      await rm(next, { recursive: true });
      await rm(join(dir, 'write-probe'), { recursive: true });
      await until(() => spool.writable(), 5000);
      await spool.append(makeEvents(1, 3));
    } finally {
      await spool.close();
    }
  });
});
