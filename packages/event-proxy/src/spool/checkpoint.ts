import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@switchyard/shared';
import { replaceFile } from './segment-files.js';

/** A place in the spool: a byte offset in a segment. Everything before the checkpoint is acknowledged. */
export interface Position {
  segment: number;
  offset: number;
}

const FILE = 'checkpoint';

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The persisted checkpoint; undefined when there is none, or it is unreadable (then everything is redelivered). */
export async function readCheckpoint(dir: string, logger: Logger): Promise<Position | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const value = JSON.parse(text) as Partial<Position>;
    if (isCount(value.segment) && isCount(value.offset))
      return { segment: value.segment, offset: value.offset };
  } catch {
    // handled below
  }
  logger.warn({ dir }, 'spool checkpoint is unreadable; every event in the spool will be delivered again');
  return undefined;
}

/** Replaces the checkpoint atomically (see replaceFile); `sync` makes it durable against power loss. */
export async function writeCheckpoint(dir: string, position: Position, sync: boolean): Promise<void> {
  const text = JSON.stringify({ segment: position.segment, offset: position.offset });
  await replaceFile(dir, join(dir, FILE), text, sync);
}
