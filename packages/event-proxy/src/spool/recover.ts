import { open, stat, unlink } from 'node:fs/promises';
import type { Logger } from '@switchyard/shared';
import type { Position } from './checkpoint.js';
import { FrameReader } from './frame-reader.js';
import { listSegments, segmentPath, syncDir } from './segment-files.js';

/** A segment found on open: its unacknowledged bytes are [start, size) and hold `records` valid records. */
export interface RecoveredSegment {
  seq: number;
  start: number;
  size: number;
  records: number;
}

export interface Recovery {
  segments: RecoveredSegment[];
  /** Where delivery resumes (a segment that may no longer exist when the spool is empty). */
  checkpoint: Position;
  corruptRecords: number;
  corruptBytes: number;
}

/**
 * Reads the spool as a crash left it: drops segments wholly before the checkpoint, scans every frame
 * after it (CRC-checked, so the counts are exact), counts and logs damaged stretches, and truncates a torn
 * tail of the last segment so new appends follow the last whole record.
 */
export async function recover(
  dir: string,
  saved: Position | undefined,
  sync: boolean,
  logger: Logger,
): Promise<Recovery> {
  let seqs = await listSegments(dir);
  let checkpoint = saved ?? { segment: seqs[0] ?? 0, offset: 0 };
  const acked = seqs.filter((seq) => seq < checkpoint.segment);
  for (const seq of acked) await unlink(segmentPath(dir, seq));
  if (acked.length > 0 && sync) await syncDir(dir);
  seqs = seqs.filter((seq) => seq >= checkpoint.segment);
  if (seqs[0] !== undefined && seqs[0] !== checkpoint.segment) checkpoint = { segment: seqs[0], offset: 0 };

  const result: Recovery = { segments: [], checkpoint, corruptRecords: 0, corruptBytes: 0 };
  for (const [i, seq] of seqs.entries()) {
    const path = segmentPath(dir, seq);
    let { size } = await stat(path);
    const start = seq === checkpoint.segment ? Math.min(checkpoint.offset, size) : 0;
    const reader = await FrameReader.open(path, start);
    let records = 0;
    let last: { start: number; end: number; corrupt: boolean } | undefined;
    try {
      for (let item = await reader.next(size); item; item = await reader.next(size)) {
        last = { start: item.start, end: item.end, corrupt: item.kind === 'corrupt' };
        if (item.kind === 'record') {
          records++;
          continue;
        }
        result.corruptRecords++;
        result.corruptBytes += item.end - item.start;
        logger.warn(
          { segment: path, offset: item.start, bytes: item.end - item.start },
          'spool: damaged or torn record skipped',
        );
      }
    } finally {
      await reader.close();
    }
    if (i === seqs.length - 1 && last?.corrupt && last.end === size) {
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(last.start);
        if (sync) await fh.sync();
      } finally {
        await fh.close();
      }
      logger.warn({ segment: path, offset: last.start }, 'spool: torn tail of the last segment truncated');
      size = last.start;
    }
    result.segments.push({ seq, start, size, records });
  }
  return result;
}
