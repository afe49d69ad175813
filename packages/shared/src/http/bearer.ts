import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Checks `Authorization: Bearer <token>` against the configured token in constant time: both sides are
 * hashed first, so neither the comparison nor a length check reveals how much of a guess was right.
 */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1] as string), expected);
  };
}
