import type { ServerResponse } from 'node:http';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnListeners } from '../src/backend/own-listeners.js';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { quietLogger } from './support/gateway.js';

// A backend's redirect must not make the gateway call itself: its admin API (no token here) would hand
// its metrics to any client of a buffered endpoint.
describe("redirects to the gateway's own listeners", () => {
  let backend: TestBackend;
  let gateway: Gateway;
  let port: number;
  let adminPort: number;
  const to = (location: () => string) => (_req: unknown, res: ServerResponse) => {
    res.writeHead(302, { Location: location(), 'Content-Length': 0 });
    res.end();
  };

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/to-admin': to(() => `http://127.0.0.1:${adminPort}/metrics`),
        '/to-admin-localhost': to(() => `http://localhost:${adminPort}/__health`),
        '/to-builtin': to(() => `http://127.0.0.1:${port}/__health`),
        '/to-endpoint': to(() => `http://127.0.0.1:${port}/plain`),
        '/plain': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"plain":true}');
        },
      }),
    );
    const endpoint = (path: string, encoding?: 'no-op') => ({
      endpoint: path,
      ...(encoding ? { output_encoding: encoding } : {}),
      backend: [{ url_pattern: path, ...(encoding ? { encoding } : {}) }],
    });
    gateway = createGateway({
      config: {
        version: 3,
        host: [backend.origin],
        extra_config: { router: { return_error_msg: true } },
        endpoints: [
          endpoint('/to-admin'),
          endpoint('/to-admin-localhost'),
          endpoint('/to-builtin'),
          endpoint('/to-endpoint'),
          endpoint('/plain'),
          { ...endpoint('/to-admin', 'no-op'), endpoint: '/noop/to-admin' },
        ],
      },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: '127.0.0.1:0' },
    });
    port = (await gateway.listen()).port;
    adminPort = (gateway.adminAddress as { port: number }).port;
  });
  afterAll(async () => {
    await gateway.close();
    await backend.close();
  });

  it('does not follow a redirect to the admin listener: the 3xx is the answer, the admin body never is', async () => {
    for (const path of ['/to-admin', '/to-admin-localhost']) {
      const res = await send(port, path);
      expect(res.status).toBe(500);
      expect(res.body).toMatch(/^invalid status code 302 \[GET \/to-admin/);
      expect(res.body).not.toContain('switchyard_');
    }
    const noop = await send(port, '/noop/to-admin');
    expect(noop.status).toBe(302);
    expect(noop.body).toBe('');
  });

  it("does not follow a redirect to the public listener's built-in routes, and still follows one to an endpoint", async () => {
    const builtin = await send(port, '/to-builtin');
    expect(builtin.status).toBe(500);
    expect(builtin.body).not.toContain('"status":"ok"');
    const endpoint = await send(port, '/to-endpoint');
    expect(endpoint.status).toBe(200);
    expect(JSON.parse(endpoint.body)).toEqual({ plain: true });
  });
});

describe('OwnListeners', () => {
  const own = new OwnListeners();
  own.set({ host: '0.0.0.0', port: 8080 }, { host: '127.0.0.1', port: 8091 });

  it('knows the admin listener under every loopback spelling, and only the built-ins of the public one', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.0.0.2', '0.0.0.0', 'api.localhost']) {
      expect(own.refuses(new URL(`http://${host}:8091/anything`))).toBe(true);
    }
    expect(own.refuses(new URL('http://127.0.0.1:8091/'))).toBe(true);
    expect(own.refuses(new URL('http://127.0.0.1:8080/__debug/x'))).toBe(true);
    expect(own.refuses(new URL('http://127.0.0.1:8080/users'))).toBe(false);
    expect(own.refuses(new URL('http://example.com:8091/'))).toBe(false);
    expect(own.refuses(new URL('http://127.0.0.1:9999/'))).toBe(false);
    expect(own.reaches('::ffff:127.0.0.1', 8091, '/metrics')).toBe(true);
  });
});
