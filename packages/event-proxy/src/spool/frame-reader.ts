import { type FileHandle, open } from 'node:fs/promises';
import { checkFrame, HEADER_BYTES, MAGIC } from './frame.js';

/** A whole valid record, or a stretch of damaged bytes up to the next valid frame (or the limit). */
export type FrameItem =
  | { kind: 'record'; start: number; end: number; payload: Buffer }
  | { kind: 'corrupt'; start: number; end: number };

// Read-ahead per file read: large enough for few syscalls, small enough to keep memory flat.
const CHUNK_BYTES = 1024 * 1024;

/**
 * Walks the frames of one segment file from a position, reading it in chunks (one buffer, never the
 * whole file). Damage is returned as a `corrupt` item spanning up to the next frame whose header and CRC
 * check out, so the valid records after it are not lost.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  private constructor(
    private readonly fh: FileHandle,
    /** File offset of the next item. */
    public pos: number,
  ) {}

  static async open(path: string, pos: number): Promise<FrameReader> {
    return new FrameReader(await open(path, 'r'), pos);
  }

  /** The next item that ends at or before `limit` (bytes of the file known to be written), or null at it. */
  async next(limit: number): Promise<FrameItem | null> {
    const start = this.pos;
    if (start >= limit) return null;
    const length = await this.frameAt(start, limit);
    if (length >= 0) {
      const end = start + HEADER_BYTES + length;
      this.pos = end;
      return {
        kind: 'record',
        start,
        end,
        payload: this.buf.subarray(start + HEADER_BYTES - this.bufStart, end - this.bufStart),
      };
    }
    const end = await this.resync(start + 1, limit);
    this.pos = end;
    return { kind: 'corrupt', start, end };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** The payload length of a valid frame at `at`, or -1. */
  private async frameAt(at: number, limit: number): Promise<number> {
    await this.ensure(at, Math.min(HEADER_BYTES, limit - at), limit);
    for (;;) {
      const result = checkFrame(this.buf, at - this.bufStart, limit - at);
      if ('length' in result) return result.length;
      if ('invalid' in result) return -1;
      // Only a short read (the file shorter than the limit says) leaves the buffer short: not a frame.
      if (!(await this.ensure(at, result.needed, limit))) return -1;
    }
  }

  /** The offset of the first valid frame at or after `from`, or `limit` when there is none. */
  private async resync(from: number, limit: number): Promise<number> {
    let at = from;
    while (at < limit) {
      await this.ensure(at, Math.min(CHUNK_BYTES, limit - at), limit);
      const bufEnd = this.bufStart + this.buf.length;
      const found = this.buf.indexOf(MAGIC, at - this.bufStart);
      if (found < 0) {
        if (bufEnd >= limit || bufEnd <= at) return limit;
        // Keep the last bytes: the magic may straddle the end of this chunk.
        at = Math.max(at + 1, bufEnd - (MAGIC.length - 1));
        continue;
      }
      const candidate = this.bufStart + found;
      if (candidate >= limit) return limit;
      if ((await this.frameAt(candidate, limit)) >= 0) return candidate;
      at = candidate + 1;
    }
    return limit;
  }

  /** Makes the buffer hold bytes [at, at + n), reading from the file; false if the file is shorter. */
  private async ensure(at: number, n: number, limit: number): Promise<boolean> {
    if (at >= this.bufStart && at + n <= this.bufStart + this.buf.length) return true;
    const want = Math.max(n, Math.min(CHUNK_BYTES, limit - at));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buf = buf.subarray(0, got);
    this.bufStart = at;
    return got >= n;
  }
}
