import { crc32 } from 'node:zlib';
import { type Envelope, SwitchyardError } from '@switchyard/shared';
import { knownJson, rememberJson } from '../pipeline/event-json.js';

/**
 * One record on disk: MAGIC (4) · CRC32 (4, LE) · LENGTH (4, LE) · LENGTH bytes of the JSON envelope.
 * The CRC covers LENGTH and the payload, so a damaged length is caught too. The magic starts with 0xF7, a
 * byte that never occurs in UTF-8 text, so a JSON payload can never look like a frame start: after damage
 * the reader resynchronises by scanning for the magic and checking the CRC of the candidate frame.
 */
export const MAGIC = Buffer.from([0xf7, 0x53, 0x57, 0x01]);
export const HEADER_BYTES = 12;
/** Anything longer is taken as a damaged length field (and refused on append). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * Serialises one envelope into a frame (one allocation, the JSON written in place). The event's JSON is
 * reused when a stage before made it, and otherwise shared (a view of the frame) with the stages after.
 */
export function encodeFrame(event: Envelope, index: number): Buffer {
  const known = knownJson(event);
  let json: string | undefined;
  if (!known) {
    try {
      json = JSON.stringify(event);
    } catch (err) {
      throw new SwitchyardError('SWY_INVALID_EVENT', `event ${index} cannot be serialised to JSON`, {
        cause: err,
        details: { index },
      });
    }
    if (typeof json !== 'string') {
      throw new SwitchyardError('SWY_INVALID_EVENT', `event ${index} is not a JSON object`, {
        details: { index },
      });
    }
  }
  const length = known ? known.length : Buffer.byteLength(json as string);
  if (length > MAX_RECORD_BYTES) {
    throw new SwitchyardError(
      'SWY_INVALID_EVENT',
      `event ${index} is larger than ${MAX_RECORD_BYTES} bytes`,
      {
        details: { index, bytes: length },
      },
    );
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  // Byte stores and TypedArray#set: Buffer#copy costs a call into C++ for 4 bytes.
  frame[0] = MAGIC[0] as number;
  frame[1] = MAGIC[1] as number;
  frame[2] = MAGIC[2] as number;
  frame[3] = MAGIC[3] as number;
  frame.writeUInt32LE(length, 8);
  if (known) frame.set(known, HEADER_BYTES);
  else {
    frame.write(json as string, HEADER_BYTES, 'utf8');
    rememberJson(event, frame.subarray(HEADER_BYTES));
  }
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

/**
 * Checks the frame starting at `at` in `buf`, given that `available` bytes exist from there on (the file
 * may hold more than `buf`): its payload length when whole with a matching CRC, `invalid` when it is not a
 * valid frame, or `needed` (bytes from `at`) when `buf` must hold more to decide.
 */
export function checkFrame(
  buf: Buffer,
  at: number,
  available: number,
): { length: number } | { invalid: true } | { needed: number } {
  if (available < HEADER_BYTES) return { invalid: true };
  if (buf.length - at < HEADER_BYTES) return { needed: HEADER_BYTES };
  if (buf.compare(MAGIC, 0, 4, at, at + 4) !== 0) return { invalid: true };
  const length = buf.readUInt32LE(at + 8);
  if (length > MAX_RECORD_BYTES || HEADER_BYTES + length > available) return { invalid: true };
  if (buf.length - at < HEADER_BYTES + length) return { needed: HEADER_BYTES + length };
  const crc = crc32(buf.subarray(at + 8, at + HEADER_BYTES + length));
  return crc === buf.readUInt32LE(at + 4) ? { length } : { invalid: true };
}
