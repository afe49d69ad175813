import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const APP = 'https://app.example.com';

describe('security/cors', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let open: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { data: 1 }));
    const endpoints = [{ endpoint: '/data', backend: [{ url_pattern: '/data' }] }];
    gw = await startGateway({
      host: [backend.origin],
      extra_config: {
        'security/cors': {
          allow_origins: [APP, 'https://*.example.org'],
          allow_methods: ['GET', 'POST'],
          allow_headers: ['Authorization', 'Content-Type'],
          expose_headers: ['X-Total', 'X-Page'],
          allow_credentials: true,
          max_age: '12h',
        },
      },
      endpoints,
    });
    open = await startGateway({ host: [backend.origin], extra_config: { 'security/cors': {} }, endpoints });
  });

  afterAll(async () => {
    await gw.close();
    await open.close();
    await backend.close();
  });

  const preflight = (port: number, origin: string, method: string, headers?: string) =>
    send(port, '/data', {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': method,
        ...(headers ? { 'Access-Control-Request-Headers': headers } : {}),
      },
    });
  const cors = (h: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));

  it('answers an allowed preflight itself, with every Access-Control header', async () => {
    const before = backend.received.length;
    const a = await preflight(gw.port, APP, 'POST', 'Authorization, Content-Type');
    expect(a.status).toBe(204);
    expect(a.body).toBe('');
    expect(cors(a.headers)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '43200',
    });
    expect(backend.received.length).toBe(before);
  });

  it('allows origins by wildcard', async () => {
    const a = await preflight(gw.port, 'https://api.example.org', 'GET');
    expect(a.headers['access-control-allow-origin']).toBe('https://api.example.org');
  });

  it('answers a refused preflight without Access-Control headers (origin, method or header not allowed)', async () => {
    for (const a of [
      await preflight(gw.port, 'https://evil.example.net', 'GET'),
      await preflight(gw.port, APP, 'DELETE'),
      await preflight(gw.port, APP, 'GET', 'X-Secret'),
    ]) {
      expect(a.status).toBe(204);
      expect(cors(a.headers)).toEqual({
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      });
    }
  });

  it('adds the headers to the answer of an allowed cross-origin request, and only then', async () => {
    const a = await send(gw.port, '/data', { headers: { Origin: APP } });
    expect(a.status).toBe(200);
    expect(a.body).toBe('{"data":1}');
    expect(cors(a.headers)).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': APP,
      'access-control-expose-headers': 'X-Total, X-Page',
      'access-control-allow-credentials': 'true',
    });
    const b = await send(gw.port, '/data', { headers: { Origin: 'https://evil.example.net' } });
    expect(b.status).toBe(200);
    expect(cors(b.headers)).toEqual({ vary: 'Origin' });
  });

  it('allows any origin with "*" when no origins are listed (KrakenD default)', async () => {
    const a = await send(open.port, '/data', { headers: { Origin: APP } });
    expect(a.headers['access-control-allow-origin']).toBe('*');
    const p = await preflight(open.port, APP, 'GET', 'Content-Type');
    expect(p.headers['access-control-allow-origin']).toBe('*');
    expect(p.headers['access-control-allow-headers']).toBe('Content-Type');
  });
});
