import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** The scheduling the event worker thread runs under, as read back from the kernel. */
export interface WorkerPriority {
  /** The thread's nice value. */
  nice: number;
  /** Whether it runs under SCHED_IDLE. */
  idle: boolean;
}

/** SCHED_IDLE's number in the `policy` field of /proc/<tid>/stat. */
const SCHED_IDLE = 5;

/** This thread's id (Linux), or undefined elsewhere. */
function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the calling thread runs under SCHED_IDLE (field 41 of its stat; the name before may hold spaces). */
function isIdle(): boolean {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]) === SCHED_IDLE;
  } catch {
    return false;
  }
}

/**
 * Lowers the calling thread's scheduling priority (Linux: nice and policy are per thread): `nice` steps
 * below what it has, and with `idle` the SCHED_IDLE policy, under which it runs only on a core no other
 * thread wants and any thread waking there takes the core at once. A lower nice alone still takes time
 * slices from the request thread (measured: a busy thread at nice 19 cost a saturated gateway ~30% of its
 * req/s, the same thread under SCHED_IDLE ~13%). Node has no call for the policy, so util-linux's `chrt`
 * sets it. Only this thread is lowered: libuv's pool, which every thread shares, is made before if need be.
 * Best effort: resolves with what the kernel applied (undefined off Linux); never rejects.
 */
export async function lowerPriority(nice: number, idle: boolean): Promise<WorkerPriority | undefined> {
  const tid = threadId();
  if (tid === undefined) return undefined;
  // A new thread inherits its creator's policy and nice value, and libuv's pool (fs, dns, zlib and crypto
  // for every thread) is made by the first thread to use it: made here first, if no one did yet.
  await access('/').catch(() => undefined);
  try {
    if (nice > 0) setPriority(tid, Math.min(19, getPriority(tid) + nice));
  } catch {
    // Not allowed: the nice value stays.
  }
  if (idle) {
    await new Promise<void>((resolve) => {
      execFile('chrt', ['--idle', '--pid', '0', String(tid)], { timeout: 5000 }, () => resolve());
    });
  }
  let applied = 0;
  try {
    applied = getPriority(tid);
  } catch {
    // Reported as 0.
  }
  return { nice: applied, idle: isIdle() };
}
