import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Closes the connection once the answer is out if the request body was not received to its end (a 404,
 * 405, 401 or 413 answered before it). Node would otherwise read and discard the rest to reuse the
 * connection: an endless chunked body kept a listener reading for as long as the client sent, up to the
 * request timeout (300 s on the gateway by default).
 */
export function closeUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete) return;
    const socket = req.socket;
    // The answer's bytes go out first; then reading stops.
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy()).end();
  });
}
