import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver does with request number `n` (0-based); answers 200 unless told otherwise. */
export type Responder = (n: number, req: Received, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that records every request an HTTP sink makes. */
export class HttpReceiver {
  readonly requests: Received[] = [];
  responder: Responder = (_n, _req, res) => res.writeHead(200).end('ok');
  private server: Server | undefined;

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        this.responder(this.requests.length - 1, received, res);
      });
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The events received, in order, parsed from JSON-array or NDJSON bodies of the 2xx-answered requests. */
  events(okOnly: ReadonlySet<number> | undefined = undefined): unknown[] {
    return this.requests.flatMap((r, i) => {
      if (okOnly && !okOnly.has(i)) return [];
      const type = String(r.headers['content-type']);
      if (type.includes('ndjson'))
        return r.body
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l));
      return JSON.parse(r.body) as unknown[];
    });
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close').catch(() => {});
    this.server = undefined;
  }
}
