import type { ServerResponse } from 'node:http';
import { isSwitchyardError, type Logger } from '@switchyard/shared';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// Refusals answered before the request body was read (or while it was): the connection is closed.
const UNREAD_BODY: ReadonlySet<string> = new Set([
  'SWY_PAYLOAD_TOO_LARGE',
  'SWY_INGEST_UNAUTHORIZED',
  'SWY_INGEST_BUSY',
  'SWY_INGEST_OFF',
]);

/** Answers with a SwitchyardError's status and JSON; anything else is a 500 that hides its message. */
export function sendError(res: ServerResponse, err: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (isSwitchyardError(err) && err.status !== undefined) {
    const headers: Record<string, string> = {};
    const retryAfterMs = err.details?.retryAfterMs;
    if (err.retryable)
      headers['retry-after'] = String(Math.max(1, Math.ceil(Number(retryAfterMs ?? 1000) / 1000)));
    // A body we stopped (or never started) reading must not be parsed as the next request, nor read.
    if (UNREAD_BODY.has(err.code)) headers.connection = 'close';
    if (err.code === 'SWY_INGEST_UNAUTHORIZED')
      headers['www-authenticate'] = 'Bearer realm="switchyard-event-proxy"';
    sendJson(res, err.status, { error: err.toJSON() }, headers);
    return;
  }
  log.error({ err }, 'request failed');
  sendJson(res, 500, { error: { message: 'internal error' } });
}
