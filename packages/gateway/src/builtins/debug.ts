import { isSwitchyardError, readBody, redactHeaders } from '@switchyard/shared';
import { hasBody } from '../request/body.js';
import type { Exchange, RouteHandler } from '../request/exchange.js';

/** Sends the status of a refused body (413) or a broken upload (400). */
export function refuseBody(x: Exchange, err: unknown): void {
  const tooLarge = isSwitchyardError(err, 'SWY_PAYLOAD_TOO_LARGE');
  x.res.shouldKeepAlive = false;
  x.send(
    tooLarge ? 413 : 400,
    { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
    tooLarge ? '413 request entity too large' : '400 bad request',
    false,
  );
}

/** The request body as text ('' when there is none); undefined once a refusal has been sent. */
export async function readTextBody(x: Exchange, maxBodyBytes: number): Promise<string | undefined> {
  if (!hasBody(x.req)) return '';
  try {
    return (await readBody(x.req, maxBodyBytes)).toString('utf8');
  } catch (err) {
    refuseBody(x, err);
    return undefined;
  }
}

/** `/__debug/*` (with -d or debug_endpoint): logs the request at debug level, answers pong. */
export function debugHandler(maxBodyBytes: number): RouteHandler {
  return async (x) => {
    x.begin('/__debug/*');
    const body = await readTextBody(x, maxBodyBytes);
    if (body === undefined) return;
    // The logger's own redaction knows listed names only; redactHeaders also hides names that look secret.
    const headers = redactHeaders(x.req.headers);
    x.log().debug({ method: x.req.method, url: x.req.url, query: x.query, headers, body }, 'debug endpoint');
    x.send(200, { 'Content-Type': 'application/json; charset=utf-8' }, '{"message":"pong"}', true);
  };
}
