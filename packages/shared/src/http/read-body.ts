import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../errors/switchyard-error.js';

function tooLarge(maxBytes: number): SwitchyardError {
  return new SwitchyardError('SWY_PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, {
    details: { max_body_bytes: maxBytes },
  });
}

/**
 * Reads a request body of at most `maxBytes`, refusing it with SWY_PAYLOAD_TOO_LARGE (413) as soon as it
 * passes the bound: from Content-Length before anything is read, or while reading a chunked body.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Stop buffering; the answer closes the connection.
        req.pause();
        reject(tooLarge(maxBytes));
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
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
