/**
 * The hand-off from the request thread to the event worker: one SharedArrayBuffer holding a control block
 * and a byte ring of length-prefixed records (one writer, the request thread; one reader, the worker), in
 * the style of pino's thread-stream. Positions are unsigned 32-bit counters that wrap; the ring's size is a
 * power of two, so a position's offset is `position & mask`.
 */
export const CONTROL_BYTES = 64;

/** Int32 slots of the control block. */
export const WRITE = 0;
/** What the worker has handed on (the writer may reuse the bytes before it). */
export const READ = 1;
/** Records the writer could not hand off (the ring was full), counted mod 2^32. */
export const DROPPED = 2;
/** 1 while the worker waits for records: the writer then wakes it. */
export const SLEEPING = 3;
/** DROPPED as a worker last reported it: a restarted worker reports the drops made while none ran. */
export const DROPPED_REPORTED = 4;
/** BigInt64 slot (at byte 32): the sequence number the worker gives its next event. */
export const NEXT_SEQ_BYTE = 32;

/** A record's first word when the bytes up to the ring's end are padding. */
export const PADDING = -1;

/** Record kinds (the byte after the length). */
export const KIND = { request: 1, response: 2, plugin: 3, health: 4 } as const;

/** The ring's data size for a configured size: the next power of two, at least 64 KiB. */
export function ringSize(bytes: number): number {
  let size = 65_536;
  while (size < bytes && size < 2 ** 30) size *= 2;
  return size;
}

export interface HandoffViews {
  control: Int32Array;
  nextSeq: BigInt64Array;
  data: Buffer;
  mask: number;
}

export function viewsOf(sab: SharedArrayBuffer): HandoffViews {
  const size = sab.byteLength - CONTROL_BYTES;
  return {
    control: new Int32Array(sab, 0, 8),
    nextSeq: new BigInt64Array(sab, NEXT_SEQ_BYTE, 1),
    data: Buffer.from(sab, CONTROL_BYTES, size),
    mask: size - 1,
  };
}

export function createHandoffBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + ringSize(bytes));
}
