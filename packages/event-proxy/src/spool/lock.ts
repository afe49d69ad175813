import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { SwitchyardError } from '@switchyard/shared';
import { PRIVATE_FILE } from '../files/private.js';

/** The lock file in a spool directory: it holds the pid of the process that has the spool open. */
export const LOCK_FILE = 'LOCK';

// Locks this process holds, so a second open in the same process is refused too, while a lock left by an
// earlier process that had the same pid (a restarted container is often pid 1 again) is taken over.
const heldHere = new Set<string>();

const TAKEOVER_ATTEMPTS = 5;

export interface SpoolLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text, 10);
  // An empty or garbled file (a crash between create and write) names no one: stale.
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

function locked(dir: string, path: string, pid: number): SwitchyardError {
  const who = pid === process.pid ? 'this process' : `process ${pid}`;
  return new SwitchyardError(
    'SWY_SPOOL_LOCKED',
    `spool ${dir} is in use by ${who} (${path}); two event proxies cannot share one spool directory: give each its own EVENT_SPOOL_DIR`,
    { details: { dir, pid } },
  );
}

/**
 * Takes the spool directory's lock file, or fails with SWY_SPOOL_LOCKED when a live process holds it. A
 * lock left by a dead process is taken over: it is first renamed aside (only one of several racing
 * processes wins that rename), then the new lock is created exclusively.
 */
export async function lockSpoolDir(dir: string): Promise<SpoolLock> {
  const path = join(dir, LOCK_FILE);
  const key = resolve(path);
  if (heldHere.has(key)) throw locked(dir, path, process.pid);
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    try {
      const fh = await open(path, 'wx', PRIVATE_FILE);
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      heldHere.add(key);
      return {
        path,
        async release() {
          if (!heldHere.delete(key)) return;
          // Only our own lock is removed (a broken one we never wrote is left alone).
          if ((await holderOf(path).catch(() => undefined)) === process.pid)
            await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await holderOf(path);
    if (holder === undefined) continue;
    if (holder > 0 && holder !== process.pid && alive(holder)) throw locked(dir, path, holder);
    // An empty lock may be one being written right now: give its writer a moment before taking it over.
    if (holder === 0 && attempt < TAKEOVER_ATTEMPTS - 1) {
      await setTimeout(100);
      continue;
    }
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    // Between reading and renaming, another process may have taken over and written its own lock: put it back.
    if ((await holderOf(aside)) !== holder) await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
  }
  const holder = (await holderOf(path)) ?? 0;
  throw locked(dir, path, holder);
}
