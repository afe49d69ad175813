import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';

/** A streaming decoder for a Content-Encoding (zlib works off the request thread, on libuv's pool). */
export type Inflater = Gunzip;

/**
 * The decoder for a backend's Content-Encoding: null when the body is not encoded, undefined when the
 * encoding is one the gateway cannot undo.
 */
export function inflaterFor(contentEncoding: string | string[] | undefined): Inflater | null | undefined {
  if (contentEncoding === undefined) return null;
  const name = (Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding)
    .trim()
    .toLowerCase();
  switch (name) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress() as unknown as Inflater;
    default:
      return undefined;
  }
}

/** Whether a Content-Encoding is gzip (what Go's transport undoes when it asked for gzip itself). */
export function isGzip(contentEncoding: string | string[] | undefined): boolean {
  return typeof contentEncoding === 'string' && /^gzip$/i.test(contentEncoding);
}
