import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startBackend, tempDir, until } from './support/switchyard.js';

// `switchyard gateway --workers 2` as users run it: the built bin, a real primary and two real worker
// processes on one port, real HTTP from outside.
const bin = fileURLToPath(new URL('../../apps/cli/bin/switchyard.js', import.meta.url));
// Workers start in seconds on a quiet machine; on this shared one it can take much longer.
const START_MS = 240_000;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Node {
  child: ChildProcess;
  base: string;
  admin: string;
  log(): string;
  health(): Promise<{ workers: { up: number; configured: number; restarts: number; events_lost: number } }>;
  /** The worker processes' pids (the primary's children). */
  workers(): number[];
  stop(): Promise<number | null>;
}

async function startNode(file: string, port: number): Promise<Node> {
  const adminPort = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'gateway', '-c', file, '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LOG_LEVEL: 'info' } },
  );
  let log = '';
  child.stdout?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  const node: Node = {
    child,
    base: `http://127.0.0.1:${port}`,
    admin,
    log: () => log,
    health: async () => {
      const res = await request(`${admin}/__health`);
      return (await res.body.json()) as Awaited<ReturnType<Node['health']>>;
    },
    workers: () =>
      readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
  try {
    await until(() => log.includes('gateway listening with workers'), 'the workers to serve', START_MS);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return node;
}

/** `/fail/{n}` (when listed) calls a path the backend answers 404, behind a breaker that opens at once. */
function config(backend: string, port: number, endpoints: string[]): object {
  return {
    version: 3,
    listen_ip: '127.0.0.1',
    port,
    timeout: '10s',
    host: [backend],
    extra_config: { 'telemetry/events': { health_interval: '1h' }, router: { return_error_msg: true } },
    endpoints: endpoints.map((e) =>
      e === '/fail/{n}'
        ? {
            endpoint: e,
            backend: [
              {
                url_pattern: '/missing/{n}',
                extra_config: { 'qos/circuit-breaker': { interval: 600, timeout: 600, max_errors: 1 } },
              },
            ],
          }
        : { endpoint: e, backend: [{ url_pattern: e }] },
    ),
  };
}

/** A request on a connection of its own, so that the cluster hands each to the next worker. */
async function call(base: string, path: string): Promise<number> {
  const res = await request(`${base}${path}`, { reset: true });
  await res.body.dump();
  return res.statusCode;
}

/** As `call`, for the body. */
async function callBody(base: string, path: string): Promise<string> {
  const res = await request(`${base}${path}`, { reset: true });
  return res.body.text();
}

/** Pids among `pids` holding a TCP connection to `port` on loopback (read from /proc, no tool needed). */
function connectedTo(pids: number[], port: number): number[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2]?.endsWith(`:${hex}`) && f[3] === '01') inodes.add(f[9] as string);
  }
  return pids.filter((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
      return m !== null && inodes.has(m[1] as string);
    }),
  );
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** An admin `/__events` stream: frames as they come; `close` drops the connection. */
async function openStream(admin: string, lastId?: string) {
  const frames: SseFrame[] = [];
  const controller = new AbortController();
  const res = await request(`${admin}/__events`, {
    signal: controller.signal,
    headers: lastId ? { 'last-event-id': lastId } : {},
  });
  expect(res.statusCode).toBe(200);
  let buffer = '';
  res.body.setEncoding('utf8');
  res.body.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: SseFrame = { data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const [key, value] = [line.slice(0, colon), line.slice(colon + 1).trimStart()];
        if (key === 'id') frame.id = value;
        else if (key === 'event') frame.event = value;
        else if (key === 'data') frame.data += value;
      }
      if (frame.event) frames.push(frame);
    }
  });
  res.body.on('error', () => undefined);
  return { frames, close: () => controller.abort() };
}

// Generous: on this shared machine a worker can take a minute to start.
describe('switchyard gateway --workers 2', { timeout: 600_000 }, () => {
  let backend: Backend;
  const tmp = tempDir('workers');
  let node: Node | undefined;

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(node?.log());
    await node?.stop();
    node = undefined;
  });
  afterAll(async () => {
    await backend.close();
    tmp.cleanup();
  });

  it('merges both workers’ events on one admin stream whose ids resume across a reconnect, losing none', async () => {
    const port = await freePort();
    const file = join(tmp.dir, 'merge.json');
    writeFileSync(file, JSON.stringify(config(backend.url, port, ['/v/{n}'])));
    node = await startNode(file, port);
    const n = node;

    const first = await openStream(n.admin);
    for (let i = 0; i < 20; i++) expect(await call(n.base, `/v/${i}`)).toBe(200);
    // Both workers served some of them: each holds a connection to the backend.
    const backendPort = Number(new URL(backend.url).port);
    expect(connectedTo(n.workers(), backendPort)).toHaveLength(2);
    await until(() => first.frames.length >= 40, '40 events on the first stream');
    const cursor = first.frames[19]?.id as string;
    first.close();

    // Sent while no client reads: the node's hub keeps them for the resuming client.
    for (let i = 20; i < 40; i++) expect(await call(n.base, `/v/${i}`)).toBe(200);
    const second = await openStream(n.admin, cursor);
    await until(() => second.frames.length >= 60, 'the 60 events after the cursor');

    const received = [...first.frames.slice(0, 20), ...second.frames];
    expect(received.some((f) => f.event === 'gap')).toBe(false);
    const events = received.map(
      (f) => JSON.parse(f.data) as { id: string; event_type: string; data: { path?: string } },
    );
    // ids sent = ids received: each frame's id is its envelope's, all distinct, in increasing order.
    expect(received.map((f) => f.id)).toEqual(events.map((e) => e.id));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect([...events.map((e) => e.id)].sort()).toEqual(events.map((e) => e.id));
    // Every request's `request` and `response` event arrived, once.
    const paths = events.filter((e) => e.event_type === 'request').map((e) => e.data.path as string);
    expect(paths.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `/v/${i}`).sort());
    expect(events.filter((e) => e.event_type === 'response')).toHaveLength(40);
    second.close();

    // /metrics is one node-wide view: both workers' requests are counted together.
    const metrics = await (await request(`${n.admin}/metrics`)).body.text();
    expect(metrics).toMatch(
      /switchyard_gateway_requests_total\{endpoint="\/v\/\{n\}",method="GET",status="200"\} 40\n/,
    );
    expect(await n.stop()).toBe(0);
  });

  it('reloads both workers or neither: a worker that cannot confirm leaves both on the old file', async () => {
    const port = await freePort();
    const file = join(tmp.dir, 'reload.json');
    writeFileSync(file, JSON.stringify(config(backend.url, port, ['/v/{n}', '/fail/{n}'])));
    node = await startNode(file, port);
    const n = node;
    const [stuck] = n.workers() as [number];
    // Each worker's breaker for /fail opens (two failures each, connections taking turns), and stays open:
    // every later call is refused without reaching the backend, whichever worker takes it.
    const breakerOpen = async () => {
      for (let i = 0; i < 6; i++)
        expect(await callBody(n.base, `/fail/${i}`)).toBe('circuit breaker is open');
    };
    await until(async () => {
      for (let i = 0; i < 4; i++)
        if ((await callBody(n.base, `/fail/${i}`)) !== 'circuit breaker is open') return false;
      return true;
    }, 'both workers’ breakers open');
    await breakerOpen();

    // One worker is stopped (SIGSTOP) while the primary asks both to prepare the new file: it never
    // confirms, so the primary tells the other to drop it.
    process.kill(stuck, 'SIGSTOP');
    try {
      writeFileSync(file, JSON.stringify(config(backend.url, port, ['/v/{n}', '/fail/{n}', '/users/{n}'])));
      await until(
        () => n.log().includes('SWY_RELOAD_ABORTED') || n.log().includes('did not confirm'),
        'the refusal',
        30_000,
      );
    } finally {
      process.kill(stuck, 'SIGCONT');
    }
    expect(n.log().match(/configuration refused/g)).toHaveLength(1);
    // Both workers still serve the old file: the new endpoint is unknown to each of them.
    for (let i = 0; i < 6; i++) {
      expect(await call(n.base, '/users/1')).toBe(404);
      expect(await call(n.base, `/v/${i}`)).toBe(200);
    }
    // The dropped file did not touch the breakers in force (its /fail was the same).
    await breakerOpen();

    // An invalid file is refused once, by the primary, before any worker sees it.
    writeFileSync(file, '{ "version": 3, "endpoints": [ { "endpoint": "/x" } ] }');
    await until(
      () => (n.log().match(/configuration refused/g) ?? []).length === 2,
      'the second refusal',
      30_000,
    );

    // The same file with every worker answering: both move to it, their unchanged breakers still open.
    writeFileSync(file, JSON.stringify(config(backend.url, port, ['/v/{n}', '/fail/{n}', '/users/{n}'])));
    const reloads = () =>
      n
        .log()
        .split('\n')
        .filter((l) => l.includes('"trigger"') && l.includes('configuration reloaded'));
    await until(() => reloads().length === 1, 'the reload', 30_000);
    for (let i = 0; i < 6; i++) expect(await call(n.base, '/users/1')).toBe(200);
    await breakerOpen();
    expect(n.log().match(/configuration refused/g)).toHaveLength(2);
    expect(await n.stop()).toBe(0);
  });

  it('replaces a killed worker; its requests in flight fail with a reset, the other worker’s complete', async () => {
    const port = await freePort();
    const file = join(tmp.dir, 'kill.json');
    writeFileSync(file, JSON.stringify(config(backend.url, port, ['/v/{n}', '/slow/{n}'])));
    node = await startNode(file, port);
    const n = node;
    const [victim] = n.workers() as [number];
    // A client of the merged stream: the workers record while it reads.
    const stream = await openStream(n.admin);
    backend.slowMs = 3000;
    const seenBefore = backend.slowSeen;
    // A request left hanging would end in a headers/body timeout, which is not among the accepted outcomes.
    const agent = new Agent({ pipelining: 0, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      request(`${n.base}/slow/${i}`, { reset: true, dispatcher: agent }).then(
        async (res) => {
          await res.body.dump();
          return res.statusCode;
        },
        (err: { code?: string }) => err.code ?? 'error',
      ),
    );
    await until(() => backend.slowSeen - seenBefore === 6, 'all six requests at the backend');
    process.kill(victim, 'SIGKILL');
    const outcomes = await Promise.all(inFlight);
    backend.slowMs = 400;
    // Those the killed worker held end with the connection closed under them; none hangs, none is a 5xx.
    const failed = outcomes.filter((o) => o !== 200);
    expect(failed.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 200).length).toBeGreaterThan(0);
    for (const f of failed) expect(['UND_ERR_SOCKET', 'ECONNRESET']).toContain(f);

    // What the killed worker had recorded and not forwarded is lost, by a number the primary can only
    // bound from below: the stream is told so by a gap that says it is not exact.
    await until(() => stream.frames.some((f) => f.event === 'gap'), 'the gap the killed worker left');
    const gaps = stream.frames.filter((f) => f.event === 'gap').map((f) => JSON.parse(f.data));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ exact: false });
    expect(gaps[0].missed).toBeGreaterThanOrEqual(0);
    expect(n.log()).toContain('a gateway worker exited before forwarding its events');
    stream.close();

    await until(async () => (await n.health()).workers.up === 2, 'a new worker', START_MS);
    expect((await n.health()).workers).toEqual({
      configured: 2,
      up: 2,
      restarts: 1,
      events_lost: gaps[0].missed,
    });
    expect(n.workers()).not.toContain(victim);
    expect(n.log()).toContain('gateway worker exited; starting another');
    for (let i = 0; i < 4; i++) expect(await call(n.base, `/v/${i}`)).toBe(200);
    await agent.close();
    expect(await n.stop()).toBe(0);
  });
});
