import { type FileHandle, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE, tighten } from '../files/private.js';

const SEGMENT_NAME = /^(\d{16})\.seg$/;

/** `<dir>/<seq zero-padded to 16>.seg`: names sort in sequence order. */
export function segmentPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(16, '0')}.seg`);
}

/**
 * Creates segment file `path` for writing, or takes over an empty one left by an attempt whose directory
 * fsync failed (the spool never wrote to it: it moves to a segment only once the creation is durable).
 * Without that, every later attempt at the same segment failed with EEXIST until a restart. A file with
 * anything in it is never taken over.
 */
export async function createSegmentFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', PRIVATE_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const fh = await open(path, 'r+');
    if ((await fh.stat()).size === 0) return fh;
    await fh.close();
    throw err;
  }
}

/** The sequence numbers of the segment files in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/** Makes a file creation, rename or deletion in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `text` atomically: a temp file beside it, fsynced, renamed over the old one, then the
 * directory fsynced. A crash leaves the old content or the new, never half of one. `sync: false` skips both
 * fsyncs (still atomic against readers, not against power loss).
 */
export async function replaceFile(dir: string, path: string, text: string, sync = true): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', PRIVATE_FILE);
  try {
    await fh.writeFile(text);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (sync) await syncDir(dir);
}

/**
 * Makes a spool directory left by an earlier version (segments 0644 in a 0755 directory) private. Only a
 * directory that holds segments is changed: one named as the spool but holding none may be the operator's.
 */
export async function tightenSpoolDir(dir: string): Promise<void> {
  const seqs = await listSegments(dir);
  if (seqs.length === 0) return;
  await tighten(dir);
  for (const seq of seqs) await tighten(segmentPath(dir, seq));
}
