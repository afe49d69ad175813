import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger, type Envelope, envelopeProblems, isLoopbackHost } from '@switchyard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '../src/admin/index.js';
import { EventHub, type EventHubOptions, type RequestInfo } from '../src/events/index.js';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** A minimal SSE reader over node:http (a real client on a real socket). */
class SseClient {
  readonly frames: Frame[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => {
      this.ended = true;
    });
    res.on('error', () => {
      this.ended = true;
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers }, (res) => resolve(new SseClient(res)));
      req.on('error', reject);
      req.end();
    });
  }

  get events(): Envelope[] {
    return this.frames.filter((f) => f.event !== 'gap').map((f) => JSON.parse(f.data as string) as Envelope);
  }

  async waitFor(count: number): Promise<void> {
    await vi.waitFor(() => expect(this.frames.length).toBeGreaterThanOrEqual(count), { timeout: 20_000 });
  }

  close(): void {
    this.res.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: Frame = {};
      let isFrame = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else if (line.startsWith('retry:')) continue;
        else {
          const colon = line.indexOf(': ');
          (frame as Record<string, string>)[line.slice(0, colon)] = line.slice(colon + 2);
          isFrame = true;
        }
      }
      if (isFrame) this.frames.push(frame);
      end = this.buffer.indexOf('\n\n');
    }
  }
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(url, { method, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

let n = 0;
const request = (headerBytes = 0): RequestInfo => ({
  request_id: `r${++n}`,
  method: 'GET',
  path: '/a',
  endpoint: '/a',
  query: {},
  client_ip: '127.0.0.1',
  headers: { 'x-pad': 'p'.repeat(headerBytes) },
  body_bytes: 0,
});

const started: { hub: EventHub; admin: AdminServer; clients: SseClient[] }[] = [];

async function setup(
  hubOptions: EventHubOptions = {},
  adminOptions: Partial<AdminServerOptions> = {},
): Promise<{ hub: EventHub; admin: AdminServer; url: string; clients: SseClient[] }> {
  const hub = new EventHub(hubOptions);
  const admin = createAdminServer({
    hub,
    listen: '127.0.0.1:0',
    health: () => ({ status: 'ok' }),
    ...adminOptions,
  });
  const { url } = await admin.start();
  const entry = { hub, admin, clients: [] as SseClient[] };
  started.push(entry);
  return { ...entry, url };
}

async function stream(ctx: { url: string; clients: SseClient[] }, query = '', headers = {}) {
  const client = await SseClient.open(`${ctx.url}/__events${query}`, headers);
  ctx.clients.push(client);
  return client;
}

/** Resolves once the hub has a subscriber for every stream (the stream is registered server-side). */
async function attached(hub: EventHub, count: number) {
  await vi.waitFor(() => expect(hub.subscribers).toBe(count), { timeout: 20_000 });
}

function emitRequests(hub: EventHub, count: number, headerBytes = 0) {
  for (let i = 0; i < count; i++) {
    const req = request(headerBytes);
    hub.requestStarted(req);
    hub.requestFinished(req, { status: 200, latency_ms: 1, bytes: 2, completed: true, backends: [] });
  }
}

afterEach(async () => {
  for (const { hub, admin, clients } of started.splice(0)) {
    for (const c of clients) c.close();
    await admin.close();
    hub.close();
  }
});

describe('admin server routes', () => {
  it('serves /__health, 503 when down, and binds loopback by default', async () => {
    let status = 'ok';
    const ctx = await setup({}, { health: () => ({ status, agents: {} }) });
    expect(ctx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await get(`${ctx.url}/__health`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok', agents: {} });
    status = 'down';
    expect((await get(`${ctx.url}/__health`)).status).toBe(503);
  });

  it('answers 404 for unknown routes, 405 for other methods, and serves /metrics only when given', async () => {
    const ctx = await setup({}, { metrics: () => 'switchyard_up 1\n' });
    const missing = await get(`${ctx.url}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'SWY_ROUTE_NOT_FOUND' });
    const post = await get(`${ctx.url}/__events`, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    const metrics = await get(`${ctx.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toBe('switchyard_up 1\n');

    const bare = await setup();
    expect((await get(`${bare.url}/metrics`)).status).toBe(404);
  });

  it('requires the bearer token on every route when one is configured', async () => {
    const ctx = await setup({}, { token: 's3cret' });
    const none = await get(`${ctx.url}/__health`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(none.body)).toMatchObject({ code: 'SWY_UNAUTHORIZED' });
    expect((await get(`${ctx.url}/__health`, { authorization: 'Bearer s3cre' })).status).toBe(401);
    expect((await get(`${ctx.url}/__health`, { authorization: 'Basic s3cret' })).status).toBe(401);
    expect((await get(`${ctx.url}/__events`)).status).toBe(401);
    expect((await get(`${ctx.url}/__health`, { authorization: 'Bearer s3cret' })).status).toBe(200);

    const client = await stream(ctx, '', { authorization: 'bearer s3cret' });
    expect(client.res.statusCode).toBe(200);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 1);
    await client.waitFor(2);
  });

  it('rejects an unknown event type in the filter and a bad from= with 400', async () => {
    const ctx = await setup();
    const bad = await get(`${ctx.url}/__events?types=request,bogus`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toContain('bogus');
    expect((await get(`${ctx.url}/__events?from=yesterday`)).status).toBe(400);
  });

  // Issue 16.10: a public admin listener without a token is warned at start (tests bind loopback only,
  // so the decision is checked on the addresses a listener can bind).
  it('tells loopback hosts from the others, for the start-up warning of an unguarded admin API', () => {
    for (const h of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', 'example.com'])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('warns at start when it listens beyond loopback without a token', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    const warned = () => lines.filter((l) => l.includes('listens beyond loopback without a token')).length;
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: the bind fails, nothing listens.
    const open = createAdminServer({
      hub: new EventHub(),
      listen: '192.0.2.1:0',
      health: () => ({}),
      logger,
    });
    await expect(open.start()).rejects.toThrow(/admin listener on 192\.0\.2\.1/);
    expect(warned()).toBe(1);
    const guarded = createAdminServer({
      hub: new EventHub(),
      listen: '192.0.2.1:0',
      token: 't',
      health: () => ({}),
      logger,
    });
    await expect(guarded.start()).rejects.toThrow();
    const local = createAdminServer({
      hub: new EventHub(),
      listen: '127.0.0.1:0',
      health: () => ({}),
      logger,
    });
    await local.start();
    await local.close();
    expect(warned()).toBe(1);
  });

  it('refuses a listen address that is not host:port', () => {
    const hub = new EventHub();
    expect(() => createAdminServer({ hub, listen: 'localhost', health: () => ({}) })).toThrow(/host:port/);
  });
});

describe('GET /__events', () => {
  it('streams envelopes with id and event lines', async () => {
    const ctx = await setup();
    const client = await stream(ctx);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 3);
    ctx.hub.emitPluginUpdated('security/cors', 'global', 'config', null, { allow_origins: ['*'] });
    await client.waitFor(7);
    for (const f of client.frames) {
      const e = JSON.parse(f.data as string) as Envelope;
      expect(envelopeProblems(e)).toEqual([]);
      expect(f.id).toBe(e.id);
      expect(f.event).toBe(e.event_type);
    }
    expect(client.frames.map((f) => f.event)).toEqual([
      'request',
      'response',
      'request',
      'response',
      'request',
      'response',
      'plugin_updated',
    ]);
  });

  it('resumes after Last-Event-ID (header or query) with exactly the events that followed', async () => {
    const ctx = await setup();
    const first = await stream(ctx);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 2);
    await first.waitFor(4);
    first.close();
    const seen = first.events.map((e) => e.id);
    emitRequests(ctx.hub, 3); // while disconnected

    const resumed = await stream(ctx, '', { 'last-event-id': seen[3] as string });
    await resumed.waitFor(6);
    const viaQuery = await stream(ctx, `?last_event_id=${seen[1]}`);
    await viaQuery.waitFor(8);
    emitRequests(ctx.hub, 1); // live events follow the replay
    await resumed.waitFor(8);

    const all = [...seen, ...resumed.events.map((e) => e.id)];
    expect(resumed.frames.some((f) => f.event === 'gap')).toBe(false);
    expect(new Set(all).size).toBe(all.length); // nothing twice
    expect(all).toHaveLength(12);
    expect(viaQuery.events.slice(0, 8).map((e) => e.id)).toEqual(all.slice(2, 10));
  });

  it('sends an exact gap event first when the resume id fell out of the ring, then the oldest retained', async () => {
    const ctx = await setup({ settings: { ring_size: 5 } });
    const first = await stream(ctx);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 1);
    await first.waitFor(2);
    first.close();
    const lastSeen = first.events[1]?.id as string; // seq 1
    const all: Envelope[] = [];
    ctx.hub.subscribe((e) => all.push(e));
    emitRequests(ctx.hub, 10); // seq 2..21; the ring keeps 17..21

    const resumed = await stream(ctx, '', { 'last-event-id': lastSeen });
    await resumed.waitFor(6);
    expect(resumed.frames[0]?.event).toBe('gap');
    expect(JSON.parse(resumed.frames[0]?.data as string)).toEqual({
      missed: 15,
      from: lastSeen,
      oldest: all[15]?.id,
      exact: true,
    });
    expect(resumed.events.map((e) => e.id)).toEqual(all.slice(15).map((e) => e.id));
  });

  it('tells a hole of an unknown number of lost events as an inexact gap, live and on resume', async () => {
    const ctx = await setup();
    const live = await stream(ctx);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 1);
    ctx.hub.lose(2);
    ctx.hub.loseUncounted(4); // a `--workers` worker died owing at least 4
    emitRequests(ctx.hub, 1);
    ctx.hub.loseUncounted(0); // one died owing none known, maybe some
    await live.waitFor(6);
    const gaps = live.frames.filter((f) => f.event === 'gap').map((f) => JSON.parse(f.data as string));
    const [first, second] = live.events as [Envelope, Envelope, Envelope, Envelope];
    // The exact hole and the inexact one are one run: 6 at least, not exactly.
    expect(gaps).toEqual([
      { missed: 6, from: second.id, oldest: live.events[2]?.id, exact: false },
      { missed: 0, from: live.events[3]?.id, oldest: null, exact: false },
    ]);
    live.close();

    const resumed = await stream(ctx, '', { 'last-event-id': first.id });
    await resumed.waitFor(5);
    expect(resumed.frames.map((f) => f.event)).toEqual(['response', 'gap', 'request', 'response', 'gap']);
    expect(JSON.parse(resumed.frames[1]?.data as string)).toMatchObject({ missed: 6, exact: false });
  });

  it("a client resuming by the last id it was sent is not told a trailing hole's gap again", async () => {
    const ctx = await setup();
    const live = await stream(ctx);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 1);
    ctx.hub.loseUncounted(4); // a `--workers` worker died; nothing recorded after it yet
    await live.waitFor(3);
    ctx.hub.subscribe(() => undefined); // keeps the hub recording
    live.close();
    expect(live.frames.map((f) => f.event)).toEqual(['request', 'response', 'gap']);
    // As EventSource does: Last-Event-ID is the last `id:` the stream sent.
    const lastId = live.frames.filter((f) => f.id !== undefined).at(-1)?.id as string;

    const resumed = await stream(ctx, '', { 'last-event-id': lastId });
    await attached(ctx.hub, 2);
    emitRequests(ctx.hub, 1);
    await resumed.waitFor(2);
    expect(resumed.frames.map((f) => f.event)).toEqual(['request', 'response']);
  });

  it('keeps a resume gap inexact when the inexact hole already left the ring', async () => {
    const ctx = await setup({ settings: { ring_size: 5 } });
    const first = await stream(ctx);
    await attached(ctx.hub, 1);
    emitRequests(ctx.hub, 1); // seq 0, 1
    await first.waitFor(2);
    first.close();
    const lastSeen = first.events[1]?.id as string;
    ctx.hub.subscribe(() => undefined); // keeps the hub recording
    ctx.hub.loseUncounted(4); // seq 2: at least 4 lost
    emitRequests(ctx.hub, 5); // seq 3..12; the ring keeps 8..12

    const resumed = await stream(ctx, '', { 'last-event-id': lastSeen });
    await resumed.waitFor(6);
    // Gone: 5 events (3..7) and the hole of at least 4.
    expect(JSON.parse(resumed.frames[0]?.data as string)).toMatchObject({ missed: 9, exact: false });
  });

  it('replays the ring with from=oldest and filters by type', async () => {
    const ctx = await setup();
    ctx.hub.subscribe(() => {}); // a consumer, so the hub records
    emitRequests(ctx.hub, 3);
    ctx.hub.emitPluginUpdated('p', 's', 'config', 1, 2);
    const client = await stream(ctx, '?from=oldest&types=response,plugin_updated');
    await client.waitFor(4);
    expect(client.frames.map((f) => f.event)).toEqual(['response', 'response', 'response', 'plugin_updated']);
    emitRequests(ctx.hub, 1);
    await client.waitFor(5);
    expect(client.frames.map((f) => f.event).at(-1)).toBe('response');
  });

  it('sends heartbeat comments', async () => {
    const ctx = await setup({}, { heartbeatMs: 20 });
    const client = await stream(ctx);
    await vi.waitFor(() => expect(client.comments).toContain(': heartbeat'), { timeout: 20_000 });
  });

  it('ends open streams on close()', async () => {
    const ctx = await setup();
    const client = await stream(ctx);
    await attached(ctx.hub, 1);
    await ctx.admin.close();
    await vi.waitFor(() => expect(client.ended).toBe(true), { timeout: 20_000 });
    expect(ctx.admin.streams).toBe(0);
    started.pop();
    ctx.hub.close();
  });
});

describe('GET /__events slow clients', () => {
  /** Opens a stream on a raw socket that never reads, so the server's writes back up. */
  async function stalledClient(url: string) {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.pause();
    socket.on('error', () => {});
    socket.write(`GET /__events HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`);
    return socket;
  }

  /** Emits ~1 KiB events in bounded rounds, yielding so the streams can write, until `done` or the cap. */
  async function flood(hub: EventHub, done: () => boolean, maxEvents = 60_000) {
    let emitted = 0;
    while (!done() && emitted < maxEvents) {
      emitRequests(hub, 50, 1024);
      emitted += 100;
      await tick();
    }
    return emitted;
  }

  it('disconnects a client that stopped reading once the ring overtook it; it resumes with an exact gap', async () => {
    const ctx = await setup({ settings: { ring_size: 200 } }, { stallTimeoutMs: 600_000 });
    const ids: string[] = [];
    ctx.hub.subscribe((e) => ids.push(e.id));
    const socket = await stalledClient(ctx.url);
    await vi.waitFor(() => expect(ctx.admin.streams).toBe(1), { timeout: 20_000 });

    const emitted = await flood(ctx.hub, () => ctx.admin.streams === 0);
    socket.destroy();
    expect(ctx.admin.streams).toBe(0);
    expect(emitted).toBeLessThan(60_000);

    const resumed = await stream(ctx, '', { 'last-event-id': ids[0] as string });
    await resumed.waitFor(201);
    const gap = JSON.parse(resumed.frames[0]?.data as string);
    expect(resumed.frames[0]?.event).toBe('gap');
    expect(gap).toMatchObject({ from: ids[0], exact: true, missed: ids.length - 201 });
    expect(resumed.events[0]?.id).toBe(ids[ids.length - 200]);
  });

  it('disconnects a client that accepts no bytes for stallTimeoutMs', async () => {
    const ctx = await setup({ settings: { ring_size: 100_000 } }, { stallTimeoutMs: 50 });
    const socket = await stalledClient(ctx.url);
    await vi.waitFor(() => expect(ctx.admin.streams).toBe(1), { timeout: 20_000 });
    const emitted = await flood(ctx.hub, () => ctx.admin.streams === 0, 90_000);
    socket.destroy();
    expect(ctx.admin.streams).toBe(0);
    expect(emitted).toBeLessThan(90_000);
  });
});
