import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A body answered unread that is declared no longer than this is left for Node to read and discard, so the
 * connection is reused, as Go's server drains up to 256 KiB: a small body sent whole is often not yet parsed
 * when the answer finishes, and closing would drop a keep-alive client's next request.
 */
const MAX_DRAIN_BYTES = 256 * 1024;

/**
 * Closes the connection once the answer is out if the request body was not received to its end (a 404,
 * 405, 401 or 413 answered before it), unless its Content-Length is small. Node would otherwise read and
 * discard the rest to reuse the connection: an endless chunked body kept a listener reading for as long as
 * the client sent, up to the request timeout (300 s on the gateway by default).
 */
export function closeUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  // Decided on the headers, before any listener: most requests (no body, or a small one) need none.
  if (req.headers['transfer-encoding'] === undefined) {
    const length = req.headers['content-length'];
    if (length === undefined || Number(length) <= MAX_DRAIN_BYTES) return;
  }
  res.once('finish', () => {
    if (req.complete) return;
    const socket = req.socket;
    // The answer's bytes go out first; then reading stops.
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy()).end();
  });
}
