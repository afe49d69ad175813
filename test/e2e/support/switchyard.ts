import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CommandIO } from '@switchyard/cli';
import { type EventProxySettings, validateEventProxySettings } from '@switchyard/config';
import { createLogger, type Envelope, envelopeProblems, type Logger } from '@switchyard/shared';
import { request } from 'undici';
import { expect } from 'vitest';

export const silent = (): Logger => createLogger({ level: 'silent' });

/** A temp dir; `cleanup` in afterAll. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `swy-e2e-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Command IO with captured output and a stop signal the test fires. */
export function testIO(env: NodeJS.ProcessEnv = {}): CommandIO & {
  out(): string;
  err(): string;
  stop(signal?: NodeJS.Signals): void;
} {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString('utf8');
    });
    return { stream, text: () => text };
  };
  const stdout = capture();
  const stderr = capture();
  let stop: (s: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stop = resolve;
  });
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    stopSignal,
    out: stdout.text,
    err: stderr.text,
    stop: (s = 'SIGTERM') => stop(s),
  };
}

export interface Backend {
  url: string;
  /** Delay of `/slow/{v}` answers. */
  slowMs: number;
  /** Requests `/slow/*` that arrived (answered or not). */
  slowSeen: number;
  close(): Promise<void>;
}

/** A real backend on 127.0.0.1: `/users/{id}`, `/orders?user=`, `/v/{n}` (echoes n), `/slow/{v}`. */
export async function startBackend(): Promise<Backend> {
  const state = { slowMs: 400, slowSeen: 0 };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend.invalid');
    const [, kind, id] = url.pathname.split('/');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (kind === 'users') return json({ id: Number(id), name: `user ${id}`, password: 'secret' });
    if (kind === 'orders') return json([{ order: 1, user: Number(url.searchParams.get('user')) }]);
    if (kind === 'v') return json({ version: id });
    if (kind === 'slow') {
      state.slowSeen++;
      setTimeout(() => json({ version: id }), state.slowMs).unref();
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms: number) {
      state.slowMs = ms;
    },
    get slowSeen() {
      return state.slowSeen;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gateway file on loopback with `/users/{id}` merging two backends, plus `extra` endpoints. */
export function gatewayConfig(backend: string, extra: object[] = [], root: object = {}): object {
  return {
    version: 3,
    listen_ip: '127.0.0.1',
    port: 0,
    timeout: '3s',
    host: [backend],
    // node_health only every hour: the tests count request and response events.
    extra_config: { 'telemetry/events': { redact_headers: ['X-Secret'], health_interval: '1h' } },
    ...root,
    endpoints: [
      {
        endpoint: '/users/{id}',
        input_headers: ['Authorization', 'X-Secret', 'Accept'],
        backend: [
          { url_pattern: '/users/{id}', deny: ['password'] },
          { url_pattern: '/orders?user={id}', is_collection: true, mapping: { collection: 'orders' } },
        ],
      },
      ...extra,
    ],
  };
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

/** Event proxy settings for a test: ephemeral listener, small batches, short backoffs; `over` on top. */
export function proxySettings(
  dir: string,
  target: EventProxySettings['target'],
  over: Record<string, unknown> = {},
): EventProxySettings {
  return validateEventProxySettings({
    listen: '127.0.0.1:0',
    log_level: 'error',
    batch: { max_events: 50, linger_ms: 5 },
    retry: { initial_ms: 20, max_ms: 300 },
    spool: { enabled: false, dir: join(dir, 'spool') },
    dead_letter: { path: join(dir, 'dead-letters.ndjson') },
    target,
    ...over,
  });
}

export async function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await request(`${base}${path}`, { headers });
  return { status: res.statusCode, body: await res.body.text() };
}

/** Sends `count` requests `/users/{i}?q=i` with a secret header; returns their paths in order. */
export async function sendUserRequests(base: string, count: number, from = 1): Promise<string[]> {
  const paths: string[] = [];
  for (let i = from; i < from + count; i++) {
    const res = await get(base, `/users/${i}?q=${i}`, {
      authorization: 'Bearer top-secret',
      'x-secret': 'hidden',
      accept: 'application/json',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id: i, name: `user ${i}`, orders: [{ order: 1, user: i }] });
    paths.push(`/users/${i}`);
  }
  return paths;
}

/**
 * Each path got exactly one `request` and one `response` event, valid envelopes with DESIGN.md's fields:
 * the request's headers redacted, the response with both backends' url, status and latency.
 */
export function expectRequestResponse(
  events: readonly unknown[],
  paths: readonly string[],
  backend: string,
): void {
  for (const e of events) expect(envelopeProblems(e)).toEqual([]);
  const envelopes = events as Envelope[];
  for (const path of paths) {
    const id = Number(path.split('/')[2]);
    const requests = envelopes.filter(
      (e) => e.event_type === 'request' && (e.data as { path: string }).path === path,
    );
    const responses = envelopes.filter(
      (e) => e.event_type === 'response' && (e.data as { path: string }).path === path,
    );
    expect(requests, `request event of ${path}`).toHaveLength(1);
    expect(responses, `response event of ${path}`).toHaveLength(1);
    const req = requests[0] as Envelope;
    const res = responses[0] as Envelope;
    expect(req.data).toMatchObject({
      method: 'GET',
      path,
      endpoint: '/users/{id}',
      query: { q: String(id) },
      client_ip: '127.0.0.1',
      headers: { authorization: '[REDACTED]', 'x-secret': '[REDACTED]', accept: 'application/json' },
      body_bytes: 0,
    });
    const requestId = (req.data as { request_id: string }).request_id;
    expect(requestId).toMatch(/^[0-9A-Z]{26}$/);
    expect(res.data).toMatchObject({
      request_id: requestId,
      method: 'GET',
      path,
      endpoint: '/users/{id}',
      status: 200,
      completed: true,
    });
    const data = res.data as { latency_ms: number; bytes: number; backends: unknown[] };
    expect(data.latency_ms).toBeGreaterThan(0);
    expect(data.bytes).toBeGreaterThan(0);
    expect(
      [...data.backends].sort((a, b) =>
        String((a as { url: string }).url).localeCompare((b as { url: string }).url),
      ),
    ).toEqual([
      { url: `${backend}/orders?user=${id}`, method: 'GET', status: 200, latency_ms: expect.any(Number) },
      { url: `${backend}/users/${id}`, method: 'GET', status: 200, latency_ms: expect.any(Number) },
    ]);
    // The request event comes first (ids are time-ordered).
    expect(req.id < res.id).toBe(true);
  }
}

/** The NDJSON lines of a file (none when it does not exist yet). */
export function readNdjson(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Polls `check` until true; throws with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
