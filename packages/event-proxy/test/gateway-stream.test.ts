import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEnvelope, createLogger, type Envelope } from '@switchyard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GatewayStreamSource,
  type GatewayStreamSourceOptions,
  SseParser,
  type StreamGap,
} from '../src/sources/gateway-stream.js';

const logger = createLogger({ level: 'silent' });

describe('SseParser', () => {
  const stream =
    '\uFEFF: hello\r\nretry: 1000\r\n\r\n' +
    'id: 1\nevent: request\ndata: {"a":1}\n\n' +
    'id: 2\revent: response\rdata: line one\rdata:line two\r\r' +
    'data\r\n\r\n' + // a field without a colon: empty data
    'event: gap\r\ndata: {"missed":3}\r\n: heartbeat\r\n\r\n' +
    'id: 3\n\n'; // no data: not dispatched
  const expected = [
    { id: '1', event: 'request', data: '{"a":1}' },
    { id: '2', event: 'response', data: 'line one\nline two' },
    { id: undefined, event: 'message', data: '' },
    { id: undefined, event: 'gap', data: '{"missed":3}' },
  ];

  it('parses LF, CR and CRLF lines, multi-line data, comments and a BOM', () => {
    expect(new SseParser().feed(stream)).toEqual(expected);
  });

  it('gives the same messages however the stream is cut into chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new SseParser();
      expect([...p.feed(stream.slice(0, cut)), ...p.feed(stream.slice(cut))]).toEqual(expected);
    }
    const p = new SseParser();
    expect([...stream].flatMap((ch) => p.feed(ch))).toEqual(expected);
  });

  it('treats a CRLF split across chunks as one line end', () => {
    const p = new SseParser();
    expect(p.feed('data: a\r')).toEqual([]);
    expect(p.feed('\ndata: b\r\n\r\n')).toEqual([{ id: undefined, event: 'message', data: 'a\nb' }]);
  });
});

// ---- a real SSE server on loopback that serves a fixed list of events ---------------------------------

const events: Envelope[] = Array.from({ length: 20 }, (_, i) =>
  createEnvelope('plugin_updated', { plugin: 'p', scope: 's', change: 'config', from: i, to: i + 1 }, 'n1'),
);
const ids = events.map((e) => e.id);
const frame = (e: Envelope) => `id: ${e.id}\nevent: ${e.event_type}\ndata: ${JSON.stringify(e)}\n\n`;

interface Connection {
  lastEventId: string | undefined;
  query: URLSearchParams;
  authorization: string | undefined;
}

/** How the server answers connection number `n` (0-based). */
interface Plan {
  status?: number;
  /** Send a gap event before the events. */
  gap?: StreamGap;
  /** Send only this many events, then destroy the connection. */
  dropAfter?: number;
  /** Raw text sent before the events. */
  prefix?: string;
}

const servers: Server[] = [];
const sources: GatewayStreamSource[] = [];

async function sseServer(plan: (n: number) => Plan = () => ({}), list: Envelope[] = events) {
  const connections: Connection[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    const n = connections.push({
      lastEventId,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    const p = plan(n - 1);
    if (url.pathname !== '/base/__events') {
      res.writeHead(404).end();
      return;
    }
    if (p.status && p.status !== 200) {
      res.writeHead(p.status).end('not now');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let out = p.prefix ?? '';
    if (p.gap) out += `event: gap\ndata: ${JSON.stringify(p.gap)}\n\n`;
    const start = lastEventId ? list.findIndex((e) => e.id === lastEventId) + 1 : 0;
    const end = p.dropAfter === undefined ? list.length : Math.min(list.length, start + p.dropAfter);
    for (let i = start; i < end; i++) out += frame(list[i] as Envelope);
    res.write(out);
    if (p.dropAfter !== undefined) setImmediate(() => res.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/base`, connections };
}

function source(options: Partial<GatewayStreamSourceOptions> & Pick<GatewayStreamSourceOptions, 'url'>) {
  const accepted: Envelope[] = [];
  const s = new GatewayStreamSource({
    logger,
    backoff: { initialMs: 5, maxMs: 20 },
    onEvents: async (batch) => {
      accepted.push(...batch);
    },
    ...options,
  });
  sources.push(s);
  return { s, accepted };
}

afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

const until = (check: () => void) => vi.waitFor(check, { timeout: 20_000 });

describe('GatewayStreamSource', () => {
  it('reads the whole ring on first start, with the token, and advances its cursor batch by batch', async () => {
    const srv = await sseServer();
    const cursors: string[] = [];
    const { s, accepted } = source({
      url: `${srv.url}/`,
      token: 't0k',
      maxBatch: 8,
      onCursor: (id) => cursors.push(id),
    });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    // At least one cursor per batch of 8, moving forward only, ending at the last event.
    const positions = cursors.map((id) => ids.indexOf(id));
    expect(positions.length).toBeGreaterThanOrEqual(3);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.at(-1)).toBe(19);
    expect(accepted.map((e) => e.id)).toEqual(ids);
    expect(accepted).toEqual(events);
    expect(s.cursor).toBe(ids[19]);
    expect(srv.connections[0]).toMatchObject({ lastEventId: undefined, authorization: 'Bearer t0k' });
    expect(srv.connections[0]?.query.get('from')).toBe('oldest');
  });

  it('asks for the configured types only', async () => {
    const srv = await sseServer();
    const { s, accepted } = source({ url: srv.url, types: ['request', 'response'] });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    expect(srv.connections[0]?.query.get('types')).toBe('request,response');
  });

  it('resumes a dropped connection from the last confirmed id: nothing lost, nothing twice', async () => {
    const srv = await sseServer((n) => (n === 0 ? { dropAfter: 7 } : {}));
    const { s, accepted } = source({ url: srv.url });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    expect(accepted.map((e) => e.id)).toEqual(ids);
    expect(srv.connections).toHaveLength(2);
    expect(srv.connections[1]?.lastEventId).toBe(ids[6]);
  });

  it('resumes after the drop only from what onEvents confirmed, while a batch was still pending', async () => {
    const srv = await sseServer((n) => (n === 0 ? { dropAfter: 10 } : {}));
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const accepted: Envelope[] = [];
    const { s } = source({
      url: srv.url,
      maxBatch: 4,
      onEvents: async (batch) => {
        // The second batch is held until the gateway has dropped the connection.
        if (accepted.length === 4) await held;
        accepted.push(...batch);
      },
    });
    s.start();
    await until(() => expect(accepted).toHaveLength(4));
    await new Promise((r) => setTimeout(r, 50)); // the server destroys its socket meanwhile
    release();
    await until(() => expect(accepted).toHaveLength(20));
    expect(accepted.map((e) => e.id)).toEqual(ids);
    const resumedFrom = srv.connections[1]?.lastEventId as string;
    // The reconnect asked for everything after the last confirmed id, which is at least the held batch.
    expect(ids.indexOf(resumedFrom)).toBeGreaterThanOrEqual(7);
  });

  it('a restarted source with the persisted cursor gets only the unconfirmed events', async () => {
    const srv = await sseServer();
    let calls = 0;
    const first = source({
      url: srv.url,
      maxBatch: 5,
      onEvents: async () => {
        calls++;
        if (calls > 1) throw new Error('sink spool unavailable'); // only the first batch is confirmed
      },
    });
    first.s.start();
    await until(() => expect(calls).toBeGreaterThanOrEqual(2));
    await first.s.stop();
    expect(first.s.cursor).toBe(ids[4]);

    const second = source({ url: srv.url, lastId: first.s.cursor as string });
    second.s.start();
    await until(() => expect(second.accepted).toHaveLength(15));
    expect(second.accepted.map((e) => e.id)).toEqual(ids.slice(5));
    expect(srv.connections.at(-1)?.lastEventId).toBe(ids[4]);
  });

  it('retries a refused batch in place, on the same connection, before reading on', async () => {
    const srv = await sseServer();
    let refusals = 0;
    const accepted: Envelope[] = [];
    const { s } = source({
      url: srv.url,
      onEvents: async (batch) => {
        if (refusals < 2) {
          refusals++;
          throw new Error('queue full');
        }
        accepted.push(...batch);
      },
    });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    expect(accepted.map((e) => e.id)).toEqual(ids);
    expect(srv.connections).toHaveLength(1);
  });

  it('reports a gap event and goes on with the events after it', async () => {
    const gap = { missed: 42, from: 'OLD', oldest: ids[0] as string, exact: true };
    const srv = await sseServer(() => ({ gap }));
    const gaps: StreamGap[] = [];
    const { s, accepted } = source({ url: srv.url, lastId: 'OLD', onGap: (g) => void gaps.push(g) });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    expect(gaps).toEqual([gap]);
  });

  it('reconnects with backoff after HTTP errors', async () => {
    const srv = await sseServer((n) => (n < 2 ? { status: 503 } : {}));
    const { s, accepted } = source({ url: srv.url });
    s.start();
    await until(() => expect(accepted).toHaveLength(20));
    expect(srv.connections).toHaveLength(3);
  });

  it('skips data that is not a valid envelope and still moves the cursor past it', async () => {
    const bad = 'id: BAD1\nevent: request\ndata: {not json\n\nid: BAD2\nevent: request\ndata: {"id":"x"}\n\n';
    const srv = await sseServer(() => ({ prefix: bad }));
    const { s, accepted } = source({ url: srv.url, lastId: ids[14] as string });
    s.start();
    await until(() => expect(accepted).toHaveLength(5));
    expect(accepted.map((e) => e.id)).toEqual(ids.slice(15));
    expect(s.cursor).toBe(ids[19]);
  });

  it('stop() waits for a pending onEvents, and the cursor includes it', async () => {
    const srv = await sseServer();
    let release!: () => void;
    const pending = new Promise<void>((r) => {
      release = r;
    });
    let entered = false;
    const { s } = source({
      url: srv.url,
      onEvents: async () => {
        entered = true;
        await pending;
      },
    });
    s.start();
    await until(() => expect(entered).toBe(true));
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(s.cursor).toBe(ids[19]);
  });

  it('does not read on while onEvents is pending: the gateway sees its writes back up', async () => {
    const total = 40_000;
    const big = Array.from({ length: total }, (_, i) =>
      createEnvelope(
        'plugin_updated',
        { plugin: 'p', scope: 'x'.repeat(1000), change: 'config', from: i, to: i },
        'n',
      ),
    );
    let written = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Writes as fast as the socket drains (40 MB in all), as the gateway's SSE stream does.
      const pump = () => {
        while (written < total) if (!res.write(frame(big[written++] as Envelope))) return;
      };
      res.on('drain', pump);
      pump();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    let release!: () => void;
    const pending = new Promise<void>((r) => {
      release = r;
    });
    const accepted: Envelope[] = [];
    const { s } = source({
      url: `http://127.0.0.1:${port}`,
      onEvents: async (batch) => {
        await pending;
        accepted.push(...batch);
      },
    });
    s.start();
    // Wait until the server stops making progress (its writes are blocked), bounded to ~5 s.
    let last = -1;
    for (let i = 0; i < 100 && written !== last; i++) {
      last = written;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(written).toBeLessThan(total / 2);
    release();
    await until(() => expect(accepted).toHaveLength(total));
    expect(accepted.map((e) => e.data)).toEqual(big.map((e) => e.data));
  });
});
