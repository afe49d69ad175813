import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventProxy } from '@switchyard/event-proxy';
import { createLogger } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskSpool } from '../src/spool/index.js';
import { drain, makeEvents, silent } from './fixtures/spool/helpers.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

// Issue 16, probe 5: spool, sink and dead-letter files were 0644 in 0755 directories. Events carry request
// data: files are 0600, directories the proxy creates 0700.

const tmp = tempDir('modes');
afterAll(() => tmp.cleanup());

const mode = (path: string) => statSync(path).mode & 0o777;

describe('file modes', () => {
  it('spool, checkpoint, lock, file sink and dead letters: 0600 files in 0700 directories; an existing parent keeps its mode', async () => {
    const parent = join(tmp.dir, 'operator');
    mkdirSync(parent, { mode: 0o755 });
    chmodSync(parent, 0o755);
    const spoolDir = join(parent, 'new', 'spool');
    const sinkPath = join(parent, 'sink', 'deep', 'events.ndjson');
    const deadPath = join(parent, 'dead', 'letters.ndjson');
    const settings = proxySettings(tmp.dir, {
      target: { type: 'file', file: { path: sinkPath, fsync: 'never', rotate_bytes: 0, rotate_keep: 1 } },
      spool: { enabled: true, dir: spoolDir },
      dead_letter: { path: deadPath },
    });
    const proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const base = proxy.address?.url as string;
    const events = sampleEvents(3);
    // A BigInt cannot be serialized: publish() sends that event to the dead-letter file.
    const big = sampleEvents(1, 'big')[0] as { data: object };
    await proxy.publish([...events, { ...big, data: { ...big.data, n: 1n } } as never]);
    const res = await request(`${base}/events`, {
      method: 'POST',
      body: JSON.stringify(sampleEvents(2, 'p')),
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    await proxy.flush(10_000);
    const spoolFiles = readdirSync(spoolDir);
    expect(spoolFiles.some((n) => n.endsWith('.seg'))).toBe(true);
    expect(spoolFiles).toContain('LOCK');
    await proxy.close();
    for (const name of readdirSync(spoolDir))
      expect([name, mode(join(spoolDir, name))]).toEqual([name, 0o600]);
    expect(readdirSync(spoolDir)).toContain('checkpoint');
    for (const dir of [
      join(parent, 'new'),
      spoolDir,
      join(parent, 'sink'),
      join(parent, 'sink', 'deep'),
      join(parent, 'dead'),
    ]) {
      expect([dir, mode(dir)]).toEqual([dir, 0o700]);
    }
    expect(mode(sinkPath)).toBe(0o600);
    expect(mode(deadPath)).toBe(0o600);
    expect(mode(parent)).toBe(0o755);
  });

  it('a spool directory an earlier version left 0755 with 0644 segments is made private; a directory without segments is left alone', async () => {
    const old = join(tmp.dir, 'old-spool');
    let spool = await DiskSpool.open({ dir: old, maxBytes: 1 << 20, fullPolicy: 'block', logger: silent });
    await spool.append(makeEvents(3));
    await spool.close();
    chmodSync(old, 0o755);
    for (const name of readdirSync(old)) chmodSync(join(old, name), 0o644);
    spool = await DiskSpool.open({ dir: old, maxBytes: 1 << 20, fullPolicy: 'block', logger: silent });
    expect(mode(old)).toBe(0o700);
    for (const name of readdirSync(old).filter((n) => n.endsWith('.seg')))
      expect(mode(join(old, name))).toBe(0o600);
    expect(await drain(spool)).toHaveLength(3);
    await spool.close();

    const shared = join(tmp.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'someone-elses'), 'x');
    spool = await DiskSpool.open({ dir: shared, maxBytes: 1 << 20, fullPolicy: 'block', logger: silent });
    await spool.close();
    expect(mode(shared)).toBe(0o755);
  });

  it('a sink file and a dead-letter file an earlier version left 0644 are made 0600 when opened; /dev/null is left alone', async () => {
    const dir = join(tmp.dir, 'old-files');
    mkdirSync(dir, { mode: 0o700 });
    const sinkPath = join(dir, 'events.ndjson');
    const deadPath = join(dir, 'dead.ndjson');
    for (const path of [sinkPath, deadPath]) {
      writeFileSync(path, '');
      chmodSync(path, 0o644);
    }
    const settings = proxySettings(tmp.dir, {
      target: { type: 'file', file: { path: sinkPath, fsync: 'never', rotate_bytes: 0, rotate_keep: 1 } },
      spool: { enabled: false },
      dead_letter: { path: deadPath },
    });
    const proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const big = sampleEvents(1, 'big')[0] as { data: object };
    await proxy.publish([...sampleEvents(2), { ...big, data: { ...big.data, n: 1n } } as never]);
    await proxy.flush(10_000);
    await proxy.close();
    // Both were written to (the unserializable event went to the dead letters).
    expect(statSync(sinkPath).size).toBeGreaterThan(0);
    expect(statSync(deadPath).size).toBeGreaterThan(0);
    expect(mode(sinkPath)).toBe(0o600);
    expect(mode(deadPath)).toBe(0o600);

    // A device the operator points the sink at is not ours to change.
    const before = mode('/dev/null');
    const devNull = createEventProxy(
      proxySettings(tmp.dir, {
        target: {
          type: 'file',
          file: { path: '/dev/null', fsync: 'never', rotate_bytes: 0, rotate_keep: 1 },
        },
        spool: { enabled: false },
        dead_letter: { path: join(dir, 'dead-2.ndjson') },
      }),
      { logger: createLogger({ level: 'silent' }) },
    );
    await devNull.start();
    await devNull.publish(sampleEvents(1, 'null'));
    await devNull.flush(10_000);
    await devNull.close();
    expect(mode('/dev/null')).toBe(before);
  });
});
