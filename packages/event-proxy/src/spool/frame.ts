import { crc32 as nativeCrc32 } from '@node-rs/crc32';
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

// CRC-32 (zlib's polynomial) of the 4 length bytes, byte-wise from a table: continuing the native CRC from
// it sums a frame without a Buffer view over length + payload, and without a second native call.
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

function lengthCrc(length: number): number {
  let c = -1;
  for (let i = 0; i < 4; i++) c = (TABLE[(c ^ (length >>> (8 * i))) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The frame's CRC: CRC-32 over LENGTH (little-endian) then the payload, as zlib's crc32 of both. */
export function frameCrc(payload: Uint8Array): number {
  return nativeCrc32(payload, lengthCrc(payload.length));
}

/**
 * The JSON bytes an event's frame holds: the event's JSON when a stage before made it, else serialised now
 * and shared (remembered) with the stages after. Throws SWY_INVALID_EVENT for an event that cannot be
 * written or is over MAX_RECORD_BYTES; `index` names it in the error.
 */
export function frameJson(event: Envelope, index: number): Buffer {
  let json = knownJson(event);
  if (!json) {
    let text: string | undefined;
    try {
      text = JSON.stringify(event);
    } catch (err) {
      throw new SwitchyardError('SWY_INVALID_EVENT', `event ${index} cannot be serialised to JSON`, {
        cause: err,
        details: { index },
      });
    }
    if (typeof text !== 'string') {
      throw new SwitchyardError('SWY_INVALID_EVENT', `event ${index} is not a JSON object`, {
        details: { index },
      });
    }
    json = Buffer.from(text);
    rememberJson(event, json);
  }
  if (json.length > MAX_RECORD_BYTES) {
    throw new SwitchyardError(
      'SWY_INVALID_EVENT',
      `event ${index} is larger than ${MAX_RECORD_BYTES} bytes`,
      { details: { index, bytes: json.length } },
    );
  }
  return json;
}

/** Writes the frame of `json` into `target` at `at` (HEADER_BYTES + json.length bytes); returns its end. */
export function writeFrame(target: Buffer, at: number, json: Uint8Array): number {
  const length = json.length;
  // Byte stores and TypedArray#set: Buffer#copy and writeUInt32LE cost more for so few bytes.
  target[at] = MAGIC[0] as number;
  target[at + 1] = MAGIC[1] as number;
  target[at + 2] = MAGIC[2] as number;
  target[at + 3] = MAGIC[3] as number;
  const crc = frameCrc(json);
  target[at + 4] = crc;
  target[at + 5] = crc >>> 8;
  target[at + 6] = crc >>> 16;
  target[at + 7] = crc >>> 24;
  target[at + 8] = length;
  target[at + 9] = length >>> 8;
  target[at + 10] = length >>> 16;
  target[at + 11] = length >>> 24;
  target.set(json, at + HEADER_BYTES);
  return at + HEADER_BYTES + length;
}

/** One event's frame as its own Buffer (tools and tests; the spool writes frames into one buffer per write). */
export function encodeFrame(event: Envelope, index: number): Buffer {
  const json = frameJson(event, index);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length);
  writeFrame(frame, 0, json);
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
  const crc = frameCrc(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length));
  return crc === buf.readUInt32LE(at + 4) ? { length } : { invalid: true };
}
