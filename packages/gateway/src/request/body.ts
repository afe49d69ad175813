import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '@switchyard/shared';

/** Whether the request carries a body at all (no read needed for a bodiless GET). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function tooLarge(limit: number): SwitchyardError {
  return new SwitchyardError('SWY_PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, {
    details: { limit },
  });
}

/**
 * Reads the request body, refusing it (SWY_PAYLOAD_TOO_LARGE) as soon as it passes `limit`: from the
 * Content-Length before reading anything, or while reading a chunked body.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
