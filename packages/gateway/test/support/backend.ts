import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface TestBackend {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A real HTTP backend on loopback (ephemeral port) that records every request it gets. */
export async function startBackend(handler: BackendHandler): Promise<TestBackend> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with status 200 (or the given one). */
export function json(
  res: ServerResponse,
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** A backend whose routes answer fixed JSON (by path without query); unknown paths get 404 text. */
export function routes(
  table: Record<string, BackendHandler | Record<string, unknown> | unknown[]>,
): BackendHandler {
  return (req, res, body) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const entry = table[path];
    if (entry === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found\n');
    } else if (typeof entry === 'function') {
      entry(req, res, body);
    } else {
      json(res, entry);
    }
  };
}

/** A port on loopback with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
