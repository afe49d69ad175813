import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createEventProxy, FileSink } from '@switchyard/event-proxy';
import { createLogger } from '@switchyard/shared';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('file-sink');
afterAll(() => tmp.cleanup());

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

const fileTarget = (
  path: string,
  extra: Partial<{ fsync: 'batch' | 'never'; rotate_bytes: number; rotate_keep: number }> = {},
) => ({
  path,
  fsync: 'batch' as const,
  rotate_bytes: 0,
  rotate_keep: 5,
  ...extra,
});

describe('file sink', () => {
  it('appends every event as one NDJSON line, read back field by field (through the proxy)', async () => {
    const path = join(tmp.dir, 'nested', 'events.ndjson');
    const settings = proxySettings(tmp.dir, { target: { type: 'file', file: fileTarget(path) } });
    const proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const sent = sampleEvents(321);
    await proxy.publish(sent);
    await proxy.flush(10_000);
    await proxy.close();
    expect(readLines(path)).toEqual(sent);
  });

  it('appends to an existing file instead of overwriting it', async () => {
    const path = join(tmp.dir, 'append.ndjson');
    const [a, b] = [sampleEvents(3, 'a'), sampleEvents(4, 'b')];
    for (const batch of [a, b]) {
      const sink = new FileSink(fileTarget(path));
      await sink.start();
      await sink.send(batch);
      await sink.close();
    }
    expect(readLines(path)).toEqual([...a, ...b]);
  });

  it('rotates by size, keeping rotate_keep files (path.1 newest), each holding whole lines', async () => {
    const path = join(tmp.dir, 'rotating.ndjson');
    const sink = new FileSink(fileTarget(path, { rotate_bytes: 2000, rotate_keep: 2 }));
    await sink.start();
    const batches = Array.from({ length: 12 }, (_, i) => sampleEvents(2, `rot${i}`));
    for (const batch of batches) await sink.send(batch);
    await sink.close();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const kept = [...readLines(`${path}.2`), ...readLines(`${path}.1`), ...readLines(path)];
    // What is kept is the newest events, in order, ending with the last batch.
    expect(kept).toEqual(batches.flat().slice(-kept.length));
    for (const f of [path, `${path}.1`, `${path}.2`]) {
      expect(readFileSync(f).length).toBeLessThanOrEqual(2000);
    }
  });

  it('fsyncs once per batch with fsync: batch, never with fsync: never', async () => {
    const probe = await open(join(tmp.dir, 'probe'), 'w');
    const FileHandleProto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = vi.spyOn(FileHandleProto, 'sync');
    try {
      const synced = new FileSink(fileTarget(join(tmp.dir, 'synced.ndjson'), { fsync: 'batch' }));
      await synced.start();
      for (let i = 0; i < 3; i++) await synced.send(sampleEvents(4, `s${i}`));
      await synced.close();
      expect(sync).toHaveBeenCalledTimes(3);
      sync.mockClear();
      const unsynced = new FileSink(fileTarget(join(tmp.dir, 'unsynced.ndjson'), { fsync: 'never' }));
      await unsynced.start();
      await unsynced.send(sampleEvents(4));
      await unsynced.close();
      expect(sync).not.toHaveBeenCalled();
    } finally {
      sync.mockRestore();
    }
  });

  it('writes to stdout for path "-"', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const sink = new FileSink(fileTarget('-'), { stdout: out });
    await sink.start();
    const sent = sampleEvents(7);
    await sink.send(sent);
    await sink.close();
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(sent);
  });

  it('reports a file it cannot open as retryable (the batch waits, nothing is lost)', async () => {
    const blocker = join(tmp.dir, 'not-a-dir');
    const fh = await open(blocker, 'w');
    await fh.close();
    const sink = new FileSink(fileTarget(join(blocker, 'events.ndjson')));
    await expect(sink.start()).rejects.toMatchObject({ code: 'SWY_SINK_UNAVAILABLE', retryable: true });
    await expect(sink.send(sampleEvents(1))).rejects.toMatchObject({
      code: 'SWY_SINK_UNAVAILABLE',
      retryable: true,
    });
    expect(sink.ready()).toBe(false);
  });
});
