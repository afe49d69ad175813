/**
 * The hand-off from the request thread to the event worker: one SharedArrayBuffer holding a control block
 * and a byte ring of length-prefixed records (one writer, the request thread; one reader, the worker), in
 * the style of pino's thread-stream. Positions are unsigned 32-bit counters that wrap; the ring's size is a
 * power of two, so a position's offset is `position & mask`.
 */
export const CONTROL_BYTES = 128;

/** Int32 slots of the control block. */
export const WRITE = 0;
/** What the worker has handed on (the writer may reuse the bytes before it). */
export const READ = 1;
/** Records the writer could not hand off (the ring was full), counted mod 2^32. */
export const DROPPED = 2;
/** 1 while the worker waits for records: the writer then wakes it. */
export const SLEEPING = 3;
/** Which of the two commit points (below) is the current one. */
export const COMMITTED = 4;
/** BigInt64 slot (at byte 32): the sequence number the worker gives its next event. */
export const NEXT_SEQ_BYTE = 32;
/**
 * Two commit points of four Float64 values each (at byte 64): where the worker resumes after a failure.
 * They are written in turn and published by flipping COMMITTED, so a worker stopped mid-commit leaves the
 * previous one whole.
 */
export const COMMIT_BYTE = 64;
export const COMMIT_FIELDS = 4;

/** A commit point: everything before `end` was handed on, as events numbered below `seq`. */
export interface CommitPoint {
  /** The ring position after the last record handed on. */
  end: number;
  /** The sequence number the next event gets (records and the holes of dropped ones numbered so far). */
  seq: number;
  /** The writer's drop count (mod 2^32) the events so far account for. */
  dropped: number;
  /** The time part of the last event id (ms): ids stay ordered, and come out the same when made again. */
  idTime: number;
}

/** A record's first word when the bytes up to the ring's end are padding. */
export const PADDING = -1;

/** Record kinds (the byte after the length). */
export const KIND = { request: 1, response: 2, plugin: 3, health: 4 } as const;

/**
 * Bytes before a record's fields: its kind (1) and the writer's drop count when it was written (4, mod
 * 2^32), so the holes of dropped records fall at the same place in the numbering however it is read.
 */
export const RECORD_HEADER = 5;

/** The ring's data size for a configured size: the next power of two, at least 64 KiB. */
export function ringSize(bytes: number): number {
  let size = 65_536;
  while (size < bytes && size < 2 ** 30) size *= 2;
  return size;
}

export interface HandoffViews {
  control: Int32Array;
  nextSeq: BigInt64Array;
  commits: Float64Array;
  data: Buffer;
  mask: number;
}

export function viewsOf(sab: SharedArrayBuffer): HandoffViews {
  const size = sab.byteLength - CONTROL_BYTES;
  return {
    control: new Int32Array(sab, 0, 8),
    nextSeq: new BigInt64Array(sab, NEXT_SEQ_BYTE, 1),
    commits: new Float64Array(sab, COMMIT_BYTE, 2 * COMMIT_FIELDS),
    data: Buffer.from(sab, CONTROL_BYTES, size),
    mask: size - 1,
  };
}

export function createHandoffBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + ringSize(bytes));
}
