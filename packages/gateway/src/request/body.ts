import type { IncomingMessage } from 'node:http';

/** Whether the request carries a body at all (no read needed for a bodiless GET). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
