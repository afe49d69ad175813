import { spawn } from 'node:child_process';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskSpool, type DiskSpoolOptions } from '../src/spool/index.js';
import {
  capturingLogger,
  drain,
  frameStarts,
  ids,
  makeEvents,
  segmentFiles,
  silent,
  tempDir,
} from './fixtures/spool/helpers.js';

const dirs: string[] = [];
const spools: DiskSpool[] = [];

afterAll(async () => {
  await Promise.all(spools.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const FRAME = 12 + Buffer.byteLength(JSON.stringify(makeEvents(1)[0]));

async function open(dir: string, options: Partial<DiskSpoolOptions> = {}): Promise<DiskSpool> {
  const spool = await DiskSpool.open({
    dir,
    maxBytes: 1024 * 1024,
    fullPolicy: 'block',
    segmentBytes: 64 * 1024,
    logger: silent,
    ...options,
  });
  spools.push(spool);
  return spool;
}

/** A spool dir holding `n` events (unacked), closed. */
async function spoolWith(n: number, segmentBytes = 64 * 1024): Promise<string> {
  const dir = await tempDir();
  dirs.push(dir);
  const spool = await open(dir, { segmentBytes });
  await spool.append(makeEvents(n));
  await spool.close();
  return dir;
}

async function patch(path: string, edit: (buf: Buffer) => void): Promise<void> {
  const buf = await readFile(path);
  edit(buf);
  await writeFile(path, buf);
}

const without = (all: string[], gone: string[]) => all.filter((id) => !gone.includes(id));

describe('DiskSpool recovery from damage', () => {
  it('a record corrupted in the middle of a segment is counted, logged and skipped; the records after it are delivered', async () => {
    const dir = await spoolWith(30);
    const [file] = await segmentFiles(dir);
    const path = join(dir, file as string);
    const starts = await frameStarts(path);
    await patch(path, (buf) => {
      const at = (starts[10] as number) + 12 + 40; // inside e000010's JSON
      buf[at] = (buf[at] as number) ^ 0x20;
    });

    const { logger, lines } = capturingLogger();
    const spool = await open(dir, { logger });
    expect(spool.stats()).toMatchObject({ events: 29, corruptRecords: 1, corruptBytes: FRAME });
    expect(await drain(spool)).toEqual(without(ids(makeEvents(30)), ['e000010']));
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 40, offset: starts[10], bytes: FRAME, segment: path }),
    );
  });

  it('damaged length fields (too long, too short) are caught by the CRC and resynchronised past', async () => {
    const dir = await spoolWith(30);
    const [file] = await segmentFiles(dir);
    const path = join(dir, file as string);
    const starts = await frameStarts(path);
    await patch(path, (buf) => {
      buf.writeUInt32LE(0x00ffffff, (starts[5] as number) + 8);
      buf.writeUInt32LE(10, (starts[20] as number) + 8);
      buf[(starts[25] as number) + 1] = 0; // the magic
    });

    const spool = await open(dir);
    expect(spool.stats()).toMatchObject({ events: 27, corruptRecords: 3, corruptBytes: 3 * FRAME });
    expect(await drain(spool)).toEqual(without(ids(makeEvents(30)), ['e000005', 'e000020', 'e000025']));
  });

  it('a segment truncated in the middle of a record loses only the rest of that segment; later segments are delivered', async () => {
    const dir = await spoolWith(30, 10 * FRAME); // three segments of ten
    const files = await segmentFiles(dir);
    expect(files).toHaveLength(3);
    const path = join(dir, files[1] as string);
    const starts = await frameStarts(path);
    await truncate(path, (starts[4] as number) + 100); // in the middle of e000014

    const spool = await open(dir, { segmentBytes: 10 * FRAME });
    expect(spool.stats()).toMatchObject({ events: 24, corruptRecords: 1, corruptBytes: 100 });
    const lost = ['e000014', 'e000015', 'e000016', 'e000017', 'e000018', 'e000019'];
    expect(await drain(spool, { ack: true })).toEqual(without(ids(makeEvents(30)), lost));
  });

  for (const cut of [5, 50]) {
    it(`a torn tail of the last segment (${cut} bytes of a record) is truncated away before new appends`, async () => {
      const dir = await spoolWith(10);
      const [file] = await segmentFiles(dir);
      const path = join(dir, file as string);
      const starts = await frameStarts(path);
      await truncate(path, (starts[9] as number) + cut);

      const spool = await open(dir);
      expect(spool.stats()).toMatchObject({ events: 9, corruptRecords: 1, corruptBytes: cut });
      expect((await stat(path)).size).toBe(starts[9]);
      await spool.append(makeEvents(3, 10));
      expect(await drain(spool)).toEqual([...ids(makeEvents(9)), 'e000010', 'e000011', 'e000012']);
      await spool.close();

      // The new records follow the last whole one: nothing damaged is left.
      const again = await open(dir);
      expect(again.stats()).toMatchObject({ events: 12, corruptRecords: 0, corruptBytes: 0 });
    });
  }

  it('an unreadable checkpoint means everything in the spool is delivered again', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const spool = await open(dir);
    await spool.append(makeEvents(10));
    const batch = await spool.read(4, 0);
    if (!batch) throw new Error('no batch');
    await spool.ack(batch);
    await spool.close();
    await writeFile(join(dir, 'checkpoint'), '{"segment":');

    const { logger, lines } = capturingLogger();
    const reopened = await open(dir, { logger });
    expect(await drain(reopened)).toEqual(ids(makeEvents(10)));
    expect(lines().some((l) => String(l.msg).includes('checkpoint'))).toBe(true);
  });
});

// ---- crash: SIGKILL mid-stream ----

const WRITER = fileURLToPath(new URL('./fixtures/spool/crash-writer.mjs', import.meta.url));

interface CrashRun {
  appended: string[];
  acked: string[];
}

/**
 * Runs the writer child on `dir` until it has reported `appends` resolved appends and some acks, then
 * SIGKILLs it mid-stream. Only whole stdout lines count: a line is printed after its append resolved.
 */
function runAndKill(dir: string, round: string, appends: number): Promise<CrashRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(8 * 1024), round], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: CrashRun = { appended: [], acked: [] };
    let partial = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed) child.kill('SIGKILL');
      killed = true;
    };
    // Bounded: whatever was reported by then is checked.
    const timer = setTimeout(kill, 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, list = ''] = line.split(' ');
        if (kind === 'A') run.appended.push(...list.split(','));
        if (kind === 'K') run.acked.push(...list.split(','));
      }
      if (run.appended.length >= appends * 25 && run.acked.length > 0) kill();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${_code}): ${stderr}`));
      else resolve(run);
    });
  });
}

describe('DiskSpool after SIGKILL', () => {
  it('every event whose append resolved is in the spool after a crash, twice over (ids compared)', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const first = await runAndKill(dir, 'r1', 60);
    const second = await runAndKill(dir, 'r2', 60); // recovers the crashed spool, then crashes again
    expect(first.appended.length).toBeGreaterThan(0);
    expect(second.appended.length).toBeGreaterThan(0);

    const { logger, lines } = capturingLogger();
    const spool = await open(dir, { logger });
    const recovered = await drain(spool, { ack: true });
    const appended = [...first.appended, ...second.appended];
    const acked = new Set([...first.acked, ...second.acked]);
    const held = new Set(recovered);
    const missing = appended.filter((id) => !acked.has(id) && !held.has(id));
    const redelivered = recovered.filter((id) => acked.has(id)).length;
    console.log(
      `crash test: ${appended.length} appends confirmed, ${acked.size} acked, ${recovered.length} recovered ` +
        `(${redelivered} acked ones again), missing ${missing.length}, ` +
        `damage skipped ${spool.stats().corruptRecords} (${spool.stats().corruptBytes} bytes)`,
    );
    expect(missing).toEqual([]);
    // Each event once, and each writer loop's events in the order they were appended.
    expect(held.size).toBe(recovered.length);
    for (const loop of ['r1-w0', 'r1-w1', 'r1-w2', 'r2-w0', 'r2-w1', 'r2-w2']) {
      const mine = recovered.filter((id) => id.startsWith(`${loop}-`));
      expect(mine).toEqual([...mine].sort());
    }
    expect(lines().filter((l) => l.level === 50)).toEqual([]);

    // And the spool goes on working.
    await spool.append(makeEvents(2));
    expect((await drain(spool)).slice(-2)).toEqual(['e000000', 'e000001']);
  });
});
