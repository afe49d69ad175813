import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What a bearer token may be (RFC 6750 §2.1, b64token): letters, digits, `-._~+/`, then `=` padding. A
 * configured token with other characters (a newline or \r kept from a secret file, a space) could never
 * match a header, so config schemas refuse it at start.
 */
export const BEARER_TOKEN_PATTERN = '^[A-Za-z0-9._~+/-]+=*$';
/** BEARER_TOKEN_PATTERN in words, for config errors. */
export const BEARER_TOKEN_TEXT =
  'a bearer token: letters, digits, -._~+/ and trailing = only, no spaces or line breaks (a token read from a file or a secret store often keeps its newline or a \\r: strip it)';

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
