import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const SECRET = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
// Opens on the second consecutive failure and stays open for the whole test.
const breaker = { 'qos/circuit-breaker': { interval: 60, timeout: 60, max_errors: 1 } };

// Issue 16.3 / 10: what a client sends must never make the gateway refuse its own backend request (and
// count it against the backend), nor reach the backend as a header that describes this hop or the client.
describe('client headers on the way to a backend', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    dir = mkdtempSync(join(tmpdir(), 'swy-fwd-'));
    const jwks = join(dir, 'jwks.json');
    writeFileSync(
      jwks,
      JSON.stringify({
        keys: [{ kty: 'oct', kid: 'k', alg: 'HS256', k: Buffer.from(SECRET).toString('base64url') }],
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        {
          endpoint: '/all',
          input_headers: ['*'],
          backend: [{ url_pattern: '/all', extra_config: breaker }],
        },
        {
          endpoint: '/listed',
          input_headers: ['X-A', 'Expect', 'X-Real-IP', 'Forwarded', 'X-Forwarded-For', 'X-Hop'],
          backend: [{ url_pattern: '/listed' }],
        },
        {
          endpoint: '/claims',
          input_headers: ['X-User'],
          extra_config: {
            'auth/validator': { alg: 'HS256', jwk_local_path: jwks, propagate_claims: [['sub', 'X-User']] },
          },
          backend: [{ url_pattern: '/claims', extra_config: breaker }],
        },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const last = () => backend.received[backend.received.length - 1]!;

  it('never forwards Expect: 100-continue, so it cannot open the breaker (probe 16.3)', async () => {
    const before = backend.received.length;
    for (let i = 0; i < 6; i++) {
      const res = await send(gw.port, '/all', { headers: { Expect: '100-continue', 'X-I': String(i) } });
      expect(res.status).toBe(200);
    }
    expect(backend.received.length - before).toBe(6);
    expect(backend.received.slice(before).every((r) => r.headers.expect === undefined)).toBe(true);
    expect((await send(gw.port, '/all')).status).toBe(200);
  });

  it('drops hop-by-hop headers, those named by Connection, and Content-Length, even with *', async () => {
    const res = await send(gw.port, '/all', {
      method: 'GET',
      headers: {
        Connection: 'keep-alive, X-Hop, x-other-hop',
        'X-Hop': 'secret',
        'X-Other-Hop': 'secret',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        'Proxy-Authorization': 'Basic eDp5',
        'X-Kept': 'yes',
      },
    });
    expect(res.status).toBe(200);
    const h = last().headers;
    expect(h['x-kept']).toBe('yes');
    for (const name of [
      'x-hop',
      'x-other-hop',
      'keep-alive',
      'te',
      'trailer',
      'proxy-authorization',
      'expect',
    ])
      expect(h[name], name).toBeUndefined();
    // A body-less GET: the client's Content-Length never reaches the backend.
    await send(gw.port, '/all', { headers: { 'Content-Length': '0' } });
    expect(last().headers['content-length']).toBeUndefined();
  });

  it('drops a header the Connection header names even when input_headers lists it', async () => {
    await send(gw.port, '/listed', { headers: { Connection: 'X-Hop', 'X-Hop': 'secret', 'X-A': 'a' } });
    expect(last().headers['x-a']).toBe('a');
    expect(last().headers['x-hop']).toBeUndefined();
  });

  it('replaces a client X-Real-IP and Forwarded with the address it resolved, as X-Forwarded-For', async () => {
    const spoof = { 'X-Real-IP': '6.6.6.6', Forwarded: 'for=6.6.6.6', 'X-Forwarded-For': '6.6.6.6' };
    for (const path of ['/all', '/listed']) {
      await send(gw.port, path, { headers: spoof });
      const h = last().headers;
      expect(h['x-real-ip'], path).toBe('127.0.0.1');
      expect(h.forwarded, path).toBe(`for=127.0.0.1;host="127.0.0.1:${gw.port}"`);
      expect(h['x-forwarded-for'], path).toBe('127.0.0.1');
    }
    // Not sent by the client: not invented either.
    await send(gw.port, '/all');
    expect(last().headers['x-real-ip']).toBeUndefined();
    expect(last().headers.forwarded).toBeUndefined();
  });

  it('fails a request it cannot build (500), without counting it against the backend', async () => {
    // A signed claim beyond Latin-1 becomes a header value undici refuses to send.
    const token = (sub: string) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'HS256', kid: 'k' })
        .setExpirationTime('5m')
        .sign(SECRET);
    const bad = { Authorization: `Bearer ${await token('a\u20acb')}` };
    const before = backend.received.length;
    for (let i = 0; i < 4; i++) expect((await send(gw.port, '/claims', { headers: bad })).status).toBe(500);
    expect(backend.received.length).toBe(before);
    // The breaker is still closed: a good request reaches the backend.
    const good = await send(gw.port, '/claims', {
      headers: { Authorization: `Bearer ${await token('alice')}` },
    });
    expect(good.status).toBe(200);
    expect(last().headers['x-user']).toBe('alice');
  });
});
