import { type ClientRequest, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestConfig } from './support/gateway.js';
import { until } from './support/wait.js';

/** Requests left hanging on the gateway; destroyed at the end so the gateway stops their calls. */
function hang(port: number, path: string, n: number): ClientRequest[] {
  return Array.from({ length: n }, () => {
    const req = request({ host: '127.0.0.1', port, path, agent: false });
    req.on('error', () => undefined);
    req.end();
    return req;
  });
}

// Issue 16.9: requests to a path that never answers must not starve a healthy endpoint on the same host.
// Each backend has its own pool per host unless it names a shared one.
describe('backend connection pools (switchyard/backend pool)', () => {
  let backend: TestBackend;
  const hangs = () => backend.received.filter((r) => r.url === '/hang').length;

  beforeAll(async () => {
    // /hang never answers (until the gateway gives up or the test ends); /ok answers at once.
    backend = await startBackend((req, res) => {
      if (req.url !== '/hang') json(res, { ok: true });
    });
  });
  afterAll(async () => {
    await backend.close();
  });

  const config = (extra: Record<string, unknown> = {}): TestConfig => ({
    host: [backend.origin],
    max_idle_connections_per_host: 4,
    extra_config: extra,
    endpoints: [
      {
        endpoint: '/hang',
        timeout: '60s',
        backend: [
          { url_pattern: '/hang', extra_config: { 'switchyard/backend': { pool: { connections: 3 } } } },
        ],
      },
      { endpoint: '/ok', timeout: '3s', backend: [{ url_pattern: '/ok' }] },
    ],
  });

  it('a hanging path holds only its own backend pool: a healthy endpoint on the same host still answers', async () => {
    const before = hangs();
    const gw = await startGateway(config());
    const pending = hang(gw.port, '/hang', 20);
    try {
      // The hanging backend's pool (3 connections) is full; the other 17 wait in it.
      await until(() => hangs() - before === 3);
      for (let i = 0; i < 5; i++) expect((await send(gw.port, '/ok')).status).toBe(200);
      expect(hangs() - before).toBe(3);
    } finally {
      for (const req of pending) req.destroy();
      await gw.close();
    }
  });

  it('backends naming one pool share it (and its limit), as one pool per host did before', async () => {
    const before = hangs();
    const gw = await startGateway(
      config({ 'switchyard/backend': { pool: { name: 'one', connections: 3 } } }),
    );
    const pending = hang(gw.port, '/hang', 5);
    try {
      await until(() => hangs() - before === 3);
      // Every connection of the shared pool hangs: the healthy endpoint waits, then times out.
      expect((await send(gw.port, '/ok')).status).toBe(500);
    } finally {
      for (const req of pending) req.destroy();
      await gw.close();
    }
  });

  it('a call that waits for a connection until its timeout fails as SWY_BACKEND_POOL_TIMEOUT, never sent', async () => {
    const before = hangs();
    const gw = await startGateway({
      host: [backend.origin],
      extra_config: {
        router: { return_error_msg: true },
        'switchyard/backend': { pool: { name: 'one', connections: 1 } },
      },
      endpoints: [
        { endpoint: '/hang', timeout: '60s', backend: [{ url_pattern: '/hang' }] },
        { endpoint: '/short', timeout: '300ms', backend: [{ url_pattern: '/hang' }] },
      ],
    });
    const pending = hang(gw.port, '/hang', 1);
    try {
      await until(() => hangs() - before === 1);
      const res = await send(gw.port, '/short');
      expect(res.status).toBe(500);
      expect(res.body).toContain('no free connection in its pool');
      // It left the line without being sent.
      expect(hangs() - before).toBe(1);
    } finally {
      for (const req of pending) req.destroy();
      await gw.close();
    }
  });
});
