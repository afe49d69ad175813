import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createLogger,
  type Envelope,
  isSwitchyardError,
  type Logger,
  SwitchyardError,
} from '@switchyard/shared';
import { makePrivateDir, PRIVATE_FILE } from '../files/private.js';
import { rememberJson } from '../pipeline/event-json.js';
import type { AppendResult, EventQueue, QueuedBatch } from '../pipeline/queue.js';
import { type Position, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { frameJson, HEADER_BYTES, writeFrame } from './frame.js';
import { type FrameItem, FrameReader } from './frame-reader.js';
import { lockSpoolDir, type SpoolLock } from './lock.js';
import { Mutex } from './mutex.js';
import { type Recovery, recover } from './recover.js';
import { createSegmentFile, segmentPath, syncDir, tightenSpoolDir } from './segment-files.js';

export type SpoolFullPolicy = 'block' | 'drop_oldest' | 'drop_newest';
/** `always`: fsync after every record; `batch`: once per append call (or group of concurrent calls); `never`. */
export type SpoolFsync = 'always' | 'batch' | 'never';

export interface DiskSpoolOptions {
  dir: string;
  /** Bound on the bytes of records not yet released (acked or evicted). */
  maxBytes: number;
  fullPolicy: SpoolFullPolicy;
  /** A segment file is closed and a new one started past this size [min(16 MiB, maxBytes / 8)]. */
  segmentBytes?: number;
  fsync?: SpoolFsync;
  /** The delay suggested with SWY_QUEUE_FULL under the `block` policy [1000]. */
  retryAfterMs?: number;
  /**
   * Least time between two checkpoint writes while acks keep coming [100]. A crash redelivers at most the
   * events acked in this time; close always writes the last position.
   */
  checkpointIntervalMs?: number;
  /**
   * A fully delivered open segment at least this large is closed and deleted at once rather than kept
   * until it reaches segmentBytes [min(segmentBytes, 4 MiB)]; while writes fail, one of any size is.
   */
  reclaimBytes?: number;
  /** While writes fail, how often the disk is tried again (a probe file as large as the failed write, 4 KiB to 1 MiB) for writable() [1000]. */
  probeIntervalMs?: number;
  logger?: Logger;
}

export interface SpoolStats {
  /** Events held: not yet acked nor evicted. */
  events: number;
  bytes: number;
  /** Segment files on disk. */
  segments: number;
  /** Events written since open. */
  appended: number;
  dropped: { full_newest: number; full_oldest: number };
  /** Damaged or torn records skipped (since open, including those found by the recovery scan). */
  corruptRecords: number;
  corruptBytes: number;
}

interface Segment {
  seq: number;
  path: string;
  /** Bytes durable and visible to readers; appends go after it. */
  size: number;
  /** Records in it not yet handed out or evicted. */
  unread: number;
  /** Closed for appends: the reader moves past its end. */
  sealed: boolean;
  /** Damage before this offset was already counted by the recovery scan. */
  scannedTo: number;
}

/** A run of the spool handed out (or evicted); the checkpoint passes it once it and all before it are acked. */
interface Span {
  end: Position;
  bytes: number;
  records: number;
  acked: boolean;
  /** Already taken off the counters (evicted by drop_oldest, or damaged bytes only). */
  released: boolean;
}

/**
 * Events as appended, with the JSON each one's frame holds (index for index) and the frames' total size:
 * parallel arrays rather than an object per event, as every append and write goes through them.
 */
interface Records {
  events: Envelope[];
  jsons: Buffer[];
  bytes: number;
}

/**
 * Records just written, kept in memory so a reader that keeps up does not read them back from disk: the
 * arrays of the write, its records [next, to) not yet taken, the first of them at `start` in `seg`.
 */
interface TailRun {
  seg: Segment;
  start: number;
  /** The offset in `seg` just past the run's last record. */
  end: number;
  events: Envelope[];
  jsons: Buffer[];
  next: number;
  to: number;
}

// The in-memory tail: the newest records written, bounded; a reader behind it reads the files up to its
// start. Large enough for a burst of appends ahead of a sink send (with 1 MiB, a burst of a few MB sent the
// reader to the files for all of it: a read and a JSON.parse per event).
const TAIL_BYTES = 4 * 1024 * 1024;
// A write's frames are assembled in one buffer kept for the next write (no Buffer allocated per frame); a
// write larger than this gets a buffer of its own, so a rare huge batch is not kept.
const SCRATCH_BYTES = 1024 * 1024;
const RECLAIM_BYTES = 4 * 1024 * 1024;
// The write probe: a file as large as the write that failed (at least one filesystem block, at most
// 1 MiB), written, fsynced and removed. A one-block probe passed as soon as the failed write's truncation
// freed a little space, while batches as large as that write still failed.
const PROBE_FILE = 'write-probe';
const MIN_PROBE_BYTES = 4096;
const MAX_PROBE_BYTES = 1024 * 1024;

interface PendingAppend {
  records: Records;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

class SpoolToken {
  constructor(
    readonly spool: DiskSpool,
    readonly spans: Span[],
  ) {}
}

const POLICIES: readonly string[] = ['block', 'drop_oldest', 'drop_newest'];
const FSYNC_MODES: readonly string[] = ['always', 'batch', 'never'];

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SWY_INVALID_ARGUMENT', `spool: ${message}`);
}

const frameBytes = (json: Buffer) => HEADER_BYTES + json.length;

/** The records of several appends as one, in order. */
function joined(parts: ReadonlyArray<{ records: Records }>): Records {
  const events: Envelope[] = [];
  const jsons: Buffer[] = [];
  let bytes = 0;
  for (const { records } of parts) {
    for (let i = 0; i < records.events.length; i++) {
      events.push(records.events[i] as Envelope);
      jsons.push(records.jsons[i] as Buffer);
    }
    bytes += records.bytes;
  }
  return { events, jsons, bytes };
}

const samePosition = (a: Position, b: Position) => a.segment === b.segment && a.offset === b.offset;

/**
 * The disk spool: an `EventQueue` whose events survive restarts and crashes. Appends go to append-only
 * segment files of CRC-checked frames and resolve once fsynced; the reader reads them back in order, in
 * chunks (memory stays flat however deep the spool); acks advance a checkpoint file, and a segment file is
 * deleted once every record in it is acked. On open, everything after the checkpoint is delivered again
 * (at-least-once); damage is counted, logged and skipped, never fatal.
 */
export class DiskSpool implements EventQueue {
  private readonly segments: Segment[];
  private writer!: { seg: Segment; fh: FileHandle };
  /** Where the next unread record starts. */
  private cursorSeg!: Segment;
  private cursorOff = 0;
  private reader: FrameReader | undefined;
  private readonly spans: Span[] = [];
  /** Runs before tailHead are let go (their slots emptied). */
  private tail: (TailRun | undefined)[] = [];
  private tailHead = 0;
  private tailBytes = 0;
  private scratch: Buffer = Buffer.alloc(0);
  private checkpoint: Position;
  private persisted: Position;

  private events = 0;
  private bytes = 0;
  private appended = 0;
  private droppedNewest = 0;
  private droppedOldest = 0;
  private corruptRecords: number;
  private corruptBytes: number;

  private pending: PendingAppend[] = [];
  private flushing = false;
  private flushDone: Promise<void> = Promise.resolve();
  private rollNeeded = false;
  /** The last write failed (or the probe at open did): /readyz is not ready until one succeeds. */
  private writeFailing = false;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Bytes the probe writes: the size of the last write that failed, within its bounds. */
  private probeBytes = MIN_PROBE_BYTES;
  /** Replacing a delivered segment failed and has not succeeded since: warned once per streak. */
  private reclaimFailing = false;
  private probing = false;
  private reclaiming = false;
  /** Writes to the open segment and its replacement by a new one: one at a time. */
  private readonly writeLock = new Mutex();
  private checkpointing = false;
  private checkpointDone: Promise<void> = Promise.resolve();
  /** When the last checkpoint write started (performance.now()). */
  private checkpointAt = Number.NEGATIVE_INFINITY;
  /** Ends the pause between checkpoint writes early (on close). */
  private checkpointWake: (() => void) | undefined;
  private readonly cursorLock = new Mutex();
  private readonly readLock = new Mutex();
  private waiters = new Set<() => void>();
  private commits = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly policy: SpoolFullPolicy,
    private readonly segmentBytes: number,
    private readonly fsync: SpoolFsync,
    private readonly retryAfterMs: number,
    private readonly checkpointIntervalMs: number,
    private readonly reclaimBytes: number,
    private readonly probeIntervalMs: number,
    private readonly logger: Logger,
    recovery: Recovery,
    private readonly lock: SpoolLock,
  ) {
    this.segments = recovery.segments.map((s) => ({
      seq: s.seq,
      path: segmentPath(dir, s.seq),
      size: s.size,
      unread: s.records,
      sealed: true,
      scannedTo: s.size,
    }));
    for (const s of recovery.segments) {
      this.events += s.records;
      this.bytes += s.size - s.start;
    }
    const first = recovery.segments[0];
    this.checkpoint = first ? { segment: first.seq, offset: first.start } : recovery.checkpoint;
    this.persisted = recovery.checkpoint;
    this.corruptRecords = recovery.corruptRecords;
    this.corruptBytes = recovery.corruptBytes;
  }

  static async open(options: DiskSpoolOptions): Promise<DiskSpool> {
    const { dir, maxBytes, fullPolicy } = options;
    const fsync = options.fsync ?? 'batch';
    if (typeof dir !== 'string' || dir === '') throw invalid('dir must be a non-empty path');
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw invalid('maxBytes must be a positive integer');
    if (!POLICIES.includes(fullPolicy)) throw invalid(`fullPolicy must be one of ${POLICIES.join(', ')}`);
    if (!FSYNC_MODES.includes(fsync)) throw invalid(`fsync must be one of ${FSYNC_MODES.join(', ')}`);
    const segmentBytes =
      options.segmentBytes ?? Math.max(1, Math.min(16 * 1024 * 1024, Math.floor(maxBytes / 8)));
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
      throw invalid('segmentBytes must be a positive integer');
    }
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 100;
    if (!Number.isSafeInteger(checkpointIntervalMs) || checkpointIntervalMs < 0) {
      throw invalid('checkpointIntervalMs must be an integer >= 0');
    }
    const reclaimBytes = options.reclaimBytes ?? Math.min(segmentBytes, RECLAIM_BYTES);
    const probeIntervalMs = options.probeIntervalMs ?? 1000;
    for (const [name, value] of [
      ['reclaimBytes', reclaimBytes],
      ['probeIntervalMs', probeIntervalMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${name} must be a positive integer`);
    }
    const logger = options.logger ?? createLogger({ name: 'spool' });
    let spool: DiskSpool;
    let lock: SpoolLock | undefined;
    try {
      await makePrivateDir(dir);
      // Before anything is read: a spool another process has open must not be recovered under its feet.
      lock = await lockSpoolDir(dir);
      await tightenSpoolDir(dir);
      const recovery = await recover(dir, await readCheckpoint(dir, logger), fsync !== 'never', logger);
      spool = new DiskSpool(
        dir,
        maxBytes,
        fullPolicy,
        segmentBytes,
        fsync,
        options.retryAfterMs ?? 1000,
        checkpointIntervalMs,
        reclaimBytes,
        probeIntervalMs,
        logger,
        recovery,
        lock,
      );
      await spool.openWriter(recovery);
      // A disk that is full already (e.g. at a restart) shows in writable() before the first append fails.
      await spool.probe();
    } catch (err) {
      await lock?.release();
      if (isSwitchyardError(err, 'SWY_SPOOL_LOCKED')) throw err;
      throw new SwitchyardError('SWY_SPOOL_IO', `spool: cannot open ${dir}: ${String(err)}`, {
        cause: err,
      });
    }
    logger.info(
      { dir, events: spool.events, bytes: spool.bytes, segments: spool.segments.length },
      'spool opened',
    );
    return spool;
  }

  async append(events: readonly Envelope[]): Promise<AppendResult> {
    if (this.closed) {
      throw new SwitchyardError('SWY_SHUTTING_DOWN', 'the spool is closed', {
        details: { retryAfterMs: this.retryAfterMs },
      });
    }
    if (events.length === 0) return { accepted: 0, dropped: 0 };
    // Serialised here, in the caller's turn: a bad event fails its own call and nothing is written.
    const jsons: Buffer[] = new Array(events.length);
    let bytes = 0;
    for (let i = 0; i < events.length; i++) {
      const json = frameJson(events[i] as Envelope, i);
      jsons[i] = json;
      bytes += frameBytes(json);
    }
    // A copy: the caller may reuse its array, and the tail keeps this one until the reader took it.
    const records: Records = { events: events.slice(), jsons, bytes };
    return new Promise((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.flushDone = this.flushLoop();
      }
    });
  }

  async read(max: number, lingerMs: number): Promise<QueuedBatch | null> {
    if (!Number.isSafeInteger(max) || max < 1) throw invalid('read: max must be a positive integer');
    return await this.readLock.run(() => this.readBatch(max, Math.max(0, lingerMs)));
  }

  async ack(batch: QueuedBatch): Promise<void> {
    const token = batch.token;
    if (!(token instanceof SpoolToken) || token.spool !== this) {
      throw invalid('ack: the batch was not read from this spool');
    }
    // After close the position is kept as it was: those events are delivered again after a restart.
    if (this.closed) return;
    for (const span of token.spans) span.acked = true;
    this.releaseAcked();
  }

  /** False while appends fail (disk full, I/O error) until one succeeds again: for readiness checks. */
  writable(): boolean {
    return !this.writeFailing;
  }

  depth(): { events: number; bytes: number } {
    return { events: this.events, bytes: this.bytes };
  }

  stats(): SpoolStats {
    return {
      events: this.events,
      bytes: this.bytes,
      segments: this.segments.length,
      appended: this.appended,
      dropped: { full_newest: this.droppedNewest, full_oldest: this.droppedOldest },
      corruptRecords: this.corruptRecords,
      corruptBytes: this.corruptBytes,
    };
  }

  /** Writes what was appended before, persists the checkpoint and closes the files; unacked events stay. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.stopProbing();
    this.wake();
    this.checkpointWake?.();
    try {
      await this.flushDone;
      // A reclaim under way ends first.
      await this.writeLock.run(async () => {});
      await this.cursorLock.run(async () => {
        await this.reader?.close();
        this.reader = undefined;
      });
      await this.checkpointDone;
      if (!samePosition(this.checkpoint, this.persisted)) await this.checkpointLoop();
      await this.writer.fh.close();
    } finally {
      await this.lock.release();
    }
    this.logger.info({ dir: this.dir, events: this.events, bytes: this.bytes }, 'spool closed');
  }

  // ---- writing ----

  private async openWriter(recovery: Recovery): Promise<void> {
    const last = this.segments.at(-1);
    if (last && last.size < this.segmentBytes) {
      last.sealed = false;
      this.writer = { seg: last, fh: await open(last.path, 'r+') };
    } else {
      await this.startSegment((last?.seq ?? recovery.checkpoint.segment) + 1);
    }
    const first = this.segments[0] as Segment;
    this.cursorSeg = first;
    this.cursorOff = first.seq === this.checkpoint.segment ? this.checkpoint.offset : 0;
    if (first.seq !== this.checkpoint.segment) this.checkpoint = { segment: first.seq, offset: 0 };
  }

  private async startSegment(seq: number): Promise<void> {
    const path = segmentPath(this.dir, seq);
    const fh = await createSegmentFile(path);
    try {
      if (this.fsync !== 'never') await syncDir(this.dir);
    } catch (err) {
      // The file stays behind, empty: the next attempt at this segment takes it over (createSegmentFile).
      await fh.close().catch(() => undefined);
      throw err;
    }
    const seg: Segment = { seq, path, size: 0, unread: 0, sealed: false, scannedTo: 0 };
    this.segments.push(seg);
    this.dropTail();
    const previous = this.writer as { seg: Segment; fh: FileHandle } | undefined;
    this.writer = { seg, fh };
    if (previous) {
      previous.seg.sealed = true;
      await previous.fh.close();
      this.wake();
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.writeLock.run(() => this.commit(this.pending.splice(0)));
    } finally {
      this.flushing = false;
    }
  }

  /** Admits a group of appends under the full policy, writes them with one fsync, and settles each. */
  private async commit(group: PendingAppend[]): Promise<void> {
    const admitted: Array<{ append: PendingAppend; records: Records; dropped: number }> = [];
    let incoming = 0;
    for (const append of group) {
      const size = append.records.bytes;
      const held = this.bytes + incoming;
      // An empty spool takes a batch larger than its bound, or that batch could never get in.
      if (held + size <= this.maxBytes || held === 0) {
        admitted.push({ append, records: append.records, dropped: 0 });
        incoming += size;
        continue;
      }
      if (this.policy === 'block') {
        append.reject(
          new SwitchyardError(
            'SWY_QUEUE_FULL',
            `the spool is full (${held} of ${this.maxBytes} bytes held, ${size} more asked)`,
            { details: { retryAfterMs: this.retryAfterMs } },
          ),
        );
        continue;
      }
      const evicted =
        this.policy === 'drop_oldest' ? await this.evict(this.bytes + incoming + size - this.maxBytes) : 0;
      const records = this.fit(append.records, this.maxBytes - this.bytes - incoming);
      const dropped = append.records.events.length - records.events.length;
      if (this.policy === 'drop_oldest') this.droppedOldest += dropped;
      else this.droppedNewest += dropped;
      admitted.push({ append, records, dropped: evicted + dropped });
      incoming += records.bytes;
    }
    const records = admitted.length === 1 ? (admitted[0] as (typeof admitted)[0]).records : joined(admitted);
    try {
      await this.write(records);
    } catch (err) {
      this.writeFailed(err, records.bytes);
      const failure = new SwitchyardError(
        'SWY_SPOOL_IO',
        `the spool cannot write to ${this.dir}: ${(err as Error).message}`,
        { cause: err, details: { retryAfterMs: this.retryAfterMs } },
      );
      for (const a of admitted) a.append.reject(failure);
      return;
    }
    this.writeRecovered();
    for (const a of admitted) a.append.resolve({ accepted: a.records.events.length, dropped: a.dropped });
  }

  // ---- write failures: readiness, probe, reclaiming delivered space ----

  /** `bytes`: the size of the write that failed; the probe writes as much before writes count as working. */
  private writeFailed(err: unknown, bytes?: number): void {
    if (!this.writeFailing) this.logger.error({ err, dir: this.dir }, 'spool write failed');
    if (bytes !== undefined) this.probeBytes = Math.min(Math.max(bytes, MIN_PROBE_BYTES), MAX_PROBE_BYTES);
    this.writeFailing = true;
    // What was delivered may be all that fills the disk: give it back now rather than at the next ack.
    this.reclaim();
    if (this.probeTimer || this.closed) return;
    // Readiness comes back without waiting for a producer to try again (one may wait for /readyz first).
    this.probeTimer = setInterval(() => {
      // On a disk that hangs, probes do not pile up: one at a time.
      if (this.probing) return;
      this.probing = true;
      void this.probe().finally(() => {
        this.probing = false;
      });
    }, this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private writeRecovered(): void {
    if (this.writeFailing) this.logger.info({ dir: this.dir }, 'spool writes again');
    this.writeFailing = false;
    this.probeBytes = MIN_PROBE_BYTES;
    this.stopProbing();
  }

  private stopProbing(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** Writes, fsyncs and removes a file beside the segments as large as the failed write: whether the disk takes it now. */
  private async probe(): Promise<void> {
    const path = join(this.dir, PROBE_FILE);
    const bytes = Buffer.alloc(this.probeBytes);
    try {
      const fh = await open(path, 'w', PRIVATE_FILE);
      try {
        const { bytesWritten } = await fh.write(bytes);
        if (bytesWritten !== bytes.length) throw new Error(`short write: ${bytesWritten} bytes`);
        await fh.datasync();
      } finally {
        await fh.close();
        await unlink(path).catch(() => {});
      }
    } catch (err) {
      if (!this.closed) this.writeFailed(err);
      return;
    }
    this.writeRecovered();
  }

  /**
   * Replaces the open segment with a new one when every record in it is delivered, so that its file is
   * deleted (with the checkpoint moved past it): at once while writes fail (the disk may be full of it),
   * else once it holds reclaimBytes, instead of keeping delivered events on disk until segmentBytes.
   */
  private reclaim(): void {
    const seg = this.writer.seg;
    if (this.reclaiming || this.closed || !this.delivered(seg)) return;
    if (seg.size < (this.writeFailing ? 1 : this.reclaimBytes)) return;
    this.reclaiming = true;
    void this.writeLock
      .run(async () => {
        if (this.closed || this.writer.seg !== seg || !this.delivered(seg)) return;
        await this.startSegment(seg.seq + 1);
        this.checkpoint = this.normalise(this.checkpoint);
        this.persistCheckpoint();
        if (this.reclaimFailing)
          this.logger.info({ dir: this.dir }, 'spool: replacing a delivered segment works again');
        this.reclaimFailing = false;
      })
      .catch((err: unknown) => {
        // Tried again at every probe (each second) while the disk is full: one warning per streak.
        if (!this.reclaimFailing) {
          this.logger.warn({ err, segment: seg.path }, 'spool: replacing a delivered segment failed');
        }
        this.reclaimFailing = true;
      })
      .finally(() => {
        this.reclaiming = false;
      });
  }

  /** Every record of the segment is acked (the checkpoint is at its end). */
  private delivered(seg: Segment): boolean {
    return this.checkpoint.segment === seg.seq && this.checkpoint.offset === seg.size;
  }

  /** The records of one append that fit in `room` bytes: the first ones (drop_newest) or the last (drop_oldest). */
  private fit(records: Records, room: number): Records {
    const { events, jsons } = records;
    let bytes = 0;
    if (this.policy === 'drop_oldest') {
      let from = jsons.length;
      while (from > 0 && bytes + frameBytes(jsons[from - 1] as Buffer) <= room) {
        from--;
        bytes += frameBytes(jsons[from] as Buffer);
      }
      return { events: events.slice(from), jsons: jsons.slice(from), bytes };
    }
    let to = 0;
    while (to < jsons.length && bytes + frameBytes(jsons[to] as Buffer) <= room) {
      bytes += frameBytes(jsons[to] as Buffer);
      to++;
    }
    return { events: events.slice(0, to), jsons: jsons.slice(0, to), bytes };
  }

  /** Appends records to the open segment, rolling to a new one at segmentBytes. */
  private async write(records: Records): Promise<void> {
    const sync = this.fsync !== 'never';
    const { jsons } = records;
    let from = 0;
    let chunkBytes = 0;
    for (let i = 0; i < jsons.length; i++) {
      const bytes = frameBytes(jsons[i] as Buffer);
      const size = this.writer.seg.size + chunkBytes;
      if (this.rollNeeded || (size > 0 && size + bytes > this.segmentBytes)) {
        await this.writeChunk(records, from, i, chunkBytes, sync);
        from = i;
        chunkBytes = 0;
        await this.startSegment(this.writer.seg.seq + 1);
        this.rollNeeded = false;
      }
      chunkBytes += bytes;
      if (this.fsync === 'always') {
        await this.writeChunk(records, from, i + 1, chunkBytes, true);
        from = i + 1;
        chunkBytes = 0;
      }
    }
    await this.writeChunk(records, from, jsons.length, chunkBytes, sync);
  }

  /**
   * Records [from, to) as frames in one write (and fsync) at the end of the open segment; only then are
   * they visible and counted.
   */
  private async writeChunk(
    records: Records,
    from: number,
    to: number,
    bytes: number,
    sync: boolean,
  ): Promise<void> {
    if (from === to) return;
    const { seg, fh } = this.writer;
    // Writes are one at a time (the write lock), so the scratch buffer is free again once this one ended.
    if (bytes <= SCRATCH_BYTES && this.scratch.length < bytes) {
      this.scratch = Buffer.allocUnsafe(Math.min(SCRATCH_BYTES, 2 ** Math.ceil(Math.log2(bytes))));
    }
    const buf = bytes <= SCRATCH_BYTES ? this.scratch : Buffer.allocUnsafe(bytes);
    const { jsons } = records;
    let at = 0;
    for (let i = from; i < to; i++) at = writeFrame(buf, at, jsons[i] as Buffer);
    try {
      const { bytesWritten } = await fh.write(buf, 0, bytes, seg.size);
      if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
      if (sync) await fh.datasync();
    } catch (err) {
      // Take back what may have reached the file; if even that fails, the next write starts a new segment
      // (the reader never reads past `size`, and recovery skips the damage).
      await fh.truncate(seg.size).catch(() => {
        this.rollNeeded = true;
      });
      throw err;
    }
    this.remember(seg, records, from, to, bytes);
    seg.size += bytes;
    seg.unread += to - from;
    this.events += to - from;
    this.bytes += bytes;
    this.appended += to - from;
    this.wake();
  }

  // ---- reading ----

  private async readBatch(max: number, lingerMs: number): Promise<QueuedBatch | null> {
    const events: Envelope[] = [];
    const spans: Span[] = [];
    let deadline: number | undefined;
    for (;;) {
      if (this.closed) return null;
      const seen = this.commits;
      await this.cursorLock.run(() => this.pull(events, spans, max));
      if (events.length >= max) break;
      if (events.length > 0) {
        deadline ??= Date.now() + lingerMs;
        if (Date.now() >= deadline) break;
      }
      await this.waitForCommit(seen, deadline);
    }
    return { events, token: new SpoolToken(this, spans) };
  }

  /** Moves records from the cursor into `events` (up to `max`), recording the run as one span. */
  private async pull(events: Envelope[], spans: Span[], max: number): Promise<void> {
    if (this.closed) return;
    const span: Span = { end: this.cursorPosition(), bytes: 0, records: 0, acked: false, released: false };
    let parsed = 0;
    // Set after the loop when it ended on records from the tail (a position per record is garbage).
    let endMoved = false;
    while (events.length < max) {
      // A reader that keeps up takes what was just written from memory, without a promise per record.
      const before = events.length;
      const taken = this.takeCached(events, max);
      if (taken > 0) {
        span.bytes += taken;
        span.records += events.length - before;
        parsed += events.length - before;
        endMoved = true;
        continue;
      }
      if (!(await this.settleCursor())) break;
      // The cursor moved on to a segment whose start the tail holds.
      if (this.cachedAtCursor()) continue;
      const item = await this.readItem();
      if (!item) break;
      span.bytes += item.end - item.start;
      span.end = this.cursorPosition();
      endMoved = false;
      if (item.kind === 'corrupt') continue;
      span.records++;
      try {
        const event = JSON.parse(item.payload.toString('utf8')) as Envelope;
        // The sink sends the bytes read, not the event serialised again.
        rememberJson(event, item.payload);
        events.push(event);
        parsed++;
      } catch (err) {
        // A record with a valid CRC that is not JSON was written so by a bug, not by a crash.
        this.countCorrupt(item, err);
      }
    }
    if (endMoved) span.end = this.cursorPosition();
    if (span.bytes === 0) return;
    this.spans.push(span);
    spans.push(span);
    // Nothing to deliver in it (only damage): release it as soon as the spans before it are.
    if (parsed === 0) {
      span.acked = true;
      this.releaseAcked();
    }
  }

  /** The next record or damaged stretch at the cursor, read from the files; null when the reader caught up. */
  private async nextItem(): Promise<FrameItem | null> {
    if (!(await this.settleCursor())) return null;
    return await this.readItem();
  }

  /** The item at the cursor in its segment's file (the cursor is settled), or null at its end. */
  private async readItem(): Promise<FrameItem | null> {
    const seg = this.cursorSeg;
    this.reader ??= await FrameReader.open(seg.path, this.cursorOff);
    const item = await this.reader.next(seg.size);
    if (!item) return null;
    this.cursorOff = item.end;
    if (item.kind === 'record') seg.unread--;
    else if (item.start >= seg.scannedTo) this.countCorrupt(item);
    return item;
  }

  /** Whether the tail holds the record at the cursor (runs the cursor moved past are let go). */
  private cachedAtCursor(): boolean {
    for (;;) {
      const run = this.tail[this.tailHead];
      if (run === undefined) return false;
      const cursor = this.cursorSeg;
      if (run.seg === cursor && run.start === this.cursorOff) return true;
      const behind = run.seg === cursor ? run.start < this.cursorOff : run.seg.seq < cursor.seq;
      if (!behind) return false;
      this.shiftTail();
    }
  }

  /** Lets the oldest run of the tail go. */
  private shiftTail(): void {
    const run = this.tail[this.tailHead] as TailRun;
    this.tailBytes -= run.end - run.start;
    // Its events are not kept reachable (by the slot) past the tail's bound.
    this.tail[this.tailHead] = undefined;
    this.tailHead++;
    if (this.tailHead === this.tail.length) this.dropTail();
    else if (this.tailHead >= 64 && this.tailHead * 2 >= this.tail.length) {
      // Nor does the array grow without end under a tail the reader never empties.
      this.tail = this.tail.slice(this.tailHead);
      this.tailHead = 0;
    }
  }

  /**
   * Moves the records at the cursor that the tail holds into `events` (up to `max`), the cursor past them;
   * returns their bytes (0 when the tail does not hold the record at the cursor).
   */
  private takeCached(events: Envelope[], max: number): number {
    let taken = 0;
    while (events.length < max && this.cachedAtCursor()) {
      const run = this.tail[this.tailHead] as TailRun;
      const to = Math.min(run.to, run.next + max - events.length);
      let at = run.start;
      // Grown once to its new length, rather than step by step by push.
      let n = events.length;
      events.length = n + to - run.next;
      for (let i = run.next; i < to; i++) {
        events[n++] = run.events[i] as Envelope;
        at += frameBytes(run.jsons[i] as Buffer);
      }
      run.seg.unread -= to - run.next;
      taken += at - run.start;
      this.tailBytes -= at - run.start;
      run.next = to;
      run.start = at;
      this.cursorOff = at;
      if (this.reader) this.reader.pos = at;
      if (to === run.to) this.shiftTail();
    }
    return taken;
  }

  /** Moves the cursor past the end of sealed segments; false when it is at the end of what is written. */
  private async settleCursor(): Promise<boolean> {
    for (;;) {
      const seg = this.cursorSeg;
      if (this.cursorOff < seg.size) return true;
      const next = seg.sealed ? this.segments.find((s) => s.seq > seg.seq) : undefined;
      if (!next) return false;
      await this.reader?.close();
      this.reader = undefined;
      this.cursorSeg = next;
      this.cursorOff = 0;
    }
  }

  /**
   * Keeps records [from, to) just written in the tail, letting its oldest runs go past TAIL_BYTES; a write
   * that does not continue the tail (a new segment) starts it again, and one larger than TAIL_BYTES is
   * left to the files.
   */
  private remember(seg: Segment, records: Records, from: number, to: number, bytes: number): void {
    const last = this.tail.at(-1);
    if (last && (last.seg !== seg || last.end !== seg.size)) this.dropTail();
    if (bytes > TAIL_BYTES) return;
    while (this.tailBytes + bytes > TAIL_BYTES) this.shiftTail();
    let { events, jsons } = records;
    // Part of a write (fsync always, a segment roll): only its own records, or the run would keep all the
    // write's events however far past TAIL_BYTES.
    if (from > 0 || to < events.length) {
      events = events.slice(from, to);
      jsons = jsons.slice(from, to);
      to -= from;
      from = 0;
    }
    this.tail.push({ seg, start: seg.size, end: seg.size + bytes, events, jsons, next: from, to });
    this.tailBytes += bytes;
  }

  private dropTail(): void {
    if (this.tail.length > 0) this.tail = [];
    this.tailHead = 0;
    this.tailBytes = 0;
  }

  private cursorPosition(): Position {
    return { segment: this.cursorSeg.seq, offset: this.cursorOff };
  }

  private countCorrupt(item: FrameItem, err?: unknown): void {
    this.corruptRecords++;
    this.corruptBytes += item.end - item.start;
    this.logger.warn(
      { err, segment: this.cursorSeg.path, offset: item.start, bytes: item.end - item.start },
      'spool: damaged record skipped',
    );
  }

  private waitForCommit(seen: number, deadline: number | undefined): Promise<void> {
    if (this.commits !== seen || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      if (deadline !== undefined) timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    });
  }

  private wake(): void {
    this.commits++;
    for (const done of [...this.waiters]) done();
  }

  // ---- full policy: drop_oldest ----

  /** Evicts unread records, oldest first, until `need` bytes are freed or none are left unread; returns how many. */
  private evict(need: number): Promise<number> {
    return this.cursorLock.run(async () => {
      this.dropTail();
      const span: Span = { end: this.cursorPosition(), bytes: 0, records: 0, acked: true, released: true };
      while (span.bytes < need && (await this.settleCursor())) {
        const seg = this.cursorSeg;
        const rest = seg.size - this.cursorOff;
        if (seg.sealed && rest <= need - span.bytes) {
          // The rest of a whole segment goes without reading it.
          span.bytes += rest;
          span.records += seg.unread;
          seg.unread = 0;
          this.cursorOff = seg.size;
          await this.reader?.close();
          this.reader = undefined;
        } else {
          const item = await this.nextItem();
          if (!item) break;
          span.bytes += item.end - item.start;
          if (item.kind !== 'corrupt') span.records++;
        }
        span.end = this.cursorPosition();
      }
      if (span.bytes === 0) return 0;
      this.bytes -= span.bytes;
      this.events -= span.records;
      this.droppedOldest += span.records;
      this.logger.debug(
        { dir: this.dir, events: span.records, bytes: span.bytes },
        'spool full: oldest events dropped',
      );
      // Evictions while a batch is out (a sink outage) extend one span: memory stays flat.
      const last = this.spans.at(-1);
      if (last?.released) {
        last.end = span.end;
        last.bytes += span.bytes;
        last.records += span.records;
      } else {
        this.spans.push(span);
      }
      this.releaseAcked();
      return span.records;
    });
  }

  // ---- acknowledgement: checkpoint and segment release ----

  /** Passes the checkpoint over the acked spans at the front; persists it and deletes released segments. */
  private releaseAcked(): void {
    let moved = false;
    while (this.spans[0]?.acked) {
      const span = this.spans.shift() as Span;
      if (!span.released) {
        this.bytes -= span.bytes;
        this.events -= span.records;
      }
      this.checkpoint = this.normalise(span.end);
      moved = true;
    }
    if (!moved) return;
    this.persistCheckpoint();
    this.reclaim();
  }

  private persistCheckpoint(): void {
    if (this.checkpointing) return;
    this.checkpointing = true;
    this.checkpointDone = this.checkpointLoop().finally(() => {
      this.checkpointing = false;
    });
  }

  /**
   * Deletes the segments wholly before the latest checkpoint, then persists it, again while acks move it
   * meanwhile (one write in flight: acks never wait for it). Deleting first frees a full disk for the
   * checkpoint write; a crash in between finds a checkpoint naming a deleted segment, and recovery resumes
   * at the first segment left. A lost update only means redelivery.
   * Writes are paced by checkpointIntervalMs: under a steady stream of acks each write (a file replaced
   * with two fsyncs) would otherwise follow the last at once, hundreds of times a second.
   */
  private async checkpointLoop(): Promise<void> {
    while (!samePosition(this.checkpoint, this.persisted)) {
      const wait = this.checkpointAt + this.checkpointIntervalMs - performance.now();
      if (wait > 0 && !this.closed) await this.checkpointPause(wait);
      const target = this.checkpoint;
      this.checkpointAt = performance.now();
      while (this.segments[0] && this.segments[0].seq < target.segment) {
        const seg = this.segments.shift() as Segment;
        await unlink(seg.path).catch((err) => {
          this.logger.error({ err, segment: seg.path }, 'spool: deleting a released segment failed');
        });
      }
      try {
        await writeCheckpoint(this.dir, target, this.fsync !== 'never');
      } catch (err) {
        this.logger.error(
          { err, dir: this.dir },
          'spool: writing the checkpoint failed; will retry on next ack',
        );
        return;
      }
      this.persisted = target;
    }
  }

  private checkpointPause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      this.checkpointWake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.checkpointWake = undefined;
    });
  }

  /** The same position, moved past the ends of sealed segments so that they can be deleted. */
  private normalise(position: Position): Position {
    let { segment, offset } = position;
    for (;;) {
      const seg = this.segments.find((s) => s.seq === segment);
      const next = seg?.sealed && offset >= seg.size ? this.segments.find((s) => s.seq > segment) : undefined;
      if (!next) return { segment, offset };
      segment = next.seq;
      offset = 0;
    }
  }
}
