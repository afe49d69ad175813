import { request } from 'node:http';
import type { GatewayObserver } from '@switchyard/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { later, until } from './support/wait.js';

let hangClosed = false;
/** The status the gateway recorded for each finished request, by path. */
const recorded: Array<{ path: string; status: number; completed: boolean }> = [];
const observer: GatewayObserver = {
  requestStarted: () => undefined,
  requestFinished: (req, res) =>
    recorded.push({ path: req.path, status: res.status, completed: res.completed }),
};

const backendRoutes = routes({
  '/hang-long': (_req, res) =>
    res.on('close', () => {
      hangClosed = !res.writableEnded;
    }),
  '/ok': { ok: true },
  '/missing': (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/problem+json' });
    res.end('{"error":"no such user"}');
  },
  '/created': (_req, res) => json(res, { created: true }, 201),
  '/accepted': (_req, res) => json(res, { accepted: true }, 202),
  '/hang': (_req, res) => later(res, 5000, () => json(res, {})),
  '/garbage': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"broken": tru');
  },
  '/array': (_req, res) => json(res, [1, 2]),
  '/empty': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end();
  },
  '/reset': (req) => req.socket.destroy(),
});

describe('failures and error strategies', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let gwMsg: TestGateway;
  let gwTransport: TestGateway;
  let refusedPort: number;

  beforeAll(async () => {
    backend = await startBackend(backendRoutes);
    refusedPort = await closedPort();
    const refused = `http://127.0.0.1:${refusedPort}`;
    const endpoints = [
      { endpoint: '/ok', backend: [{ url_pattern: '/ok' }] },
      { endpoint: '/refused', backend: [{ url_pattern: '/x', host: [refused] }] },
      { endpoint: '/reset', backend: [{ url_pattern: '/reset' }] },
      { endpoint: '/timeout', timeout: '300ms', backend: [{ url_pattern: '/hang' }] },
      { endpoint: '/client-leaves-one', timeout: '60s', backend: [{ url_pattern: '/hang-long' }] },
      {
        endpoint: '/client-leaves',
        timeout: '60s',
        backend: [{ url_pattern: '/hang-long' }, { url_pattern: '/ok' }],
      },
      { endpoint: '/status', backend: [{ url_pattern: '/missing' }] },
      { endpoint: '/created', backend: [{ url_pattern: '/created' }] },
      { endpoint: '/accepted', backend: [{ url_pattern: '/accepted' }] },
      { endpoint: '/garbage', backend: [{ url_pattern: '/garbage' }] },
      { endpoint: '/array', backend: [{ url_pattern: '/array' }] },
      { endpoint: '/empty', backend: [{ url_pattern: '/empty' }] },
      {
        endpoint: '/code',
        backend: [{ url_pattern: '/missing', extra_config: { 'backend/http': { return_error_code: true } } }],
      },
      {
        endpoint: '/details',
        backend: [
          { url_pattern: '/missing', extra_config: { 'backend/http': { return_error_details: 'users' } } },
        ],
      },
      {
        endpoint: '/details-merge',
        backend: [
          { url_pattern: '/ok' },
          { url_pattern: '/missing', extra_config: { 'backend/http': { return_error_details: 'users' } } },
        ],
      },
    ];
    gw = await startGateway({ host: [backend.origin], endpoints }, { observer });
    gwMsg = await startGateway({
      host: [backend.origin],
      endpoints,
      extra_config: { router: { return_error_msg: true } },
    });
    gwTransport = await startGateway({
      host: [backend.origin],
      endpoints,
      extra_config: { 'switchyard/errors': { transport_statuses: true } },
    });
  });
  afterAll(async () => {
    await gw.close();
    await gwMsg.close();
    await gwTransport.close();
    await backend.close();
  });

  it.each(['/refused', '/reset', '/timeout', '/status', '/accepted', '/garbage', '/array', '/empty'])(
    "%s → 500 with an empty body and X-Krakend-Completed: false (lura's one default status)",
    async (path) => {
      const res = await send(gw.port, path);
      expect(res.status).toBe(500);
      expect(res.body).toBe('');
      expect(res.headers['content-type']).toBeUndefined();
      expect(res.headers['x-krakend-completed']).toBe('false');
    },
  );

  it.each([
    ['/refused', 502],
    ['/reset', 502],
    ['/timeout', 504],
    ['/status', 500],
    ['/accepted', 500],
    ['/garbage', 502],
    ['/array', 502],
    ['/empty', 502],
  ])('switchyard/errors transport_statuses: %s → %i', async (path, status) => {
    const res = await send(gwTransport.port, path);
    expect(res.status).toBe(status);
    expect(res.body).toBe('');
    expect(res.headers['x-krakend-completed']).toBe('false');
  });

  it('router.return_error_msg writes the texts KrakenD writes', async () => {
    const texts: Record<string, string> = {
      '/refused': `Get "http://127.0.0.1:${refusedPort}/x": dial tcp 127.0.0.1:${refusedPort}: connect: connection refused`,
      '/timeout': 'context deadline exceeded',
      '/status': `invalid status code 404 [GET /missing]: ${backend.origin}/missing`,
      '/accepted': `invalid status code 202 [GET /accepted]: ${backend.origin}/accepted`,
      '/array': 'json: cannot unmarshal array into Go value of type map[string]interface {}',
      '/empty': 'EOF',
    };
    for (const [path, text] of Object.entries(texts)) {
      const res = await send(gwMsg.port, path);
      expect({ path, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        path,
        status: 500,
        type: 'text/plain; charset=utf-8',
        body: text,
      });
    }
  });

  /** Requests `path` and closes the connection once the gateway is waiting on the backend's /hang-long. */
  async function leaveDuring(path: string): Promise<void> {
    const before = backend.received.length;
    const req = request({ host: '127.0.0.1', port: gw.port, path, agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => backend.received.slice(before).some((r) => r.url === '/hang-long'));
    req.destroy();
  }

  it('stops the backend calls of a client that went away', async () => {
    await leaveDuring('/client-leaves');
    // Well before the 60 s endpoint timeout: only the client going away can have ended it.
    await until(() => hangClosed);
  });

  it('records a request whose client left before any answer as 499, not as a gateway failure', async () => {
    await leaveDuring('/client-leaves-one');
    await until(() => recorded.some((r) => r.path === '/client-leaves-one'));
    expect(recorded.filter((r) => r.path === '/client-leaves-one')).toEqual([
      { path: '/client-leaves-one', status: 499, completed: false },
    ]);
  });

  it('accepts 201 like 200 (answering 200, as KrakenD does)', async () => {
    const res = await send(gw.port, '/created');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ created: true });
  });

  it('keeps serving after a backend sent garbage JSON', async () => {
    await send(gw.port, '/garbage');
    expect((await send(gw.port, '/ok')).status).toBe(200);
  });

  it('return_error_code forwards the backend status with an empty body', async () => {
    const res = await send(gw.port, '/code');
    expect(res.status).toBe(404);
    expect(res.body).toBe('');
  });

  it('return_error_code with router.return_error_msg also forwards the body and its content type', async () => {
    const res = await send(gwMsg.port, '/code');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toBe('{"error":"no such user"}');
  });

  it('router.return_error_msg writes a decoding failure as text with 500', async () => {
    const res = await send(gwMsg.port, '/garbage');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toMatch(/JSON/);
  });

  it('return_error_details puts the backend error under error_<name>', async () => {
    const res = await send(gw.port, '/details');
    expect(res.status).toBe(200);
    expect(res.headers['x-krakend-completed']).toBe('false');
    expect(JSON.parse(res.body)).toEqual({
      error_users: {
        http_status_code: 404,
        http_body: '{"error":"no such user"}',
        http_body_encoding: 'application/problem+json',
      },
    });
    const merged = await send(gw.port, '/details-merge');
    expect(merged.status).toBe(200);
    expect(JSON.parse(merged.body)).toEqual({
      ok: true,
      error_users: {
        http_status_code: 404,
        http_body: '{"error":"no such user"}',
        http_body_encoding: 'application/problem+json',
      },
    });
    expect(merged.headers['x-krakend-completed']).toBe('false');
  });
});
