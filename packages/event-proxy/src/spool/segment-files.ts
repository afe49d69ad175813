import { open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT_NAME = /^(\d{16})\.seg$/;

/** `<dir>/<seq zero-padded to 16>.seg`: names sort in sequence order. */
export function segmentPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(16, '0')}.seg`);
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
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (sync) await syncDir(dir);
}
