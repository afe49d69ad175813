import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const SECRET = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');

describe('validation/cel JWT expressions (krakend-jose rejecter)', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    dir = mkdtempSync(join(tmpdir(), 'swy-cel-jwt-'));
    const jwks = join(dir, 'jwks.json');
    writeFileSync(
      jwks,
      JSON.stringify({
        keys: [{ kty: 'oct', kid: 'hs1', alg: 'HS256', k: Buffer.from(SECRET).toString('base64url') }],
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/admin',
          backend: [{ url_pattern: '/admin' }],
          extra_config: {
            'auth/validator': { alg: 'HS256', jwk_local_path: jwks, disable_jwk_security: true },
            'validation/cel': [
              { check_expr: "'admin' in JWT.roles && timestamp(now) > timestamp('2020-01-01T00:00:00Z')" },
            ],
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = (roles: string[]) =>
    new SignJWT({ sub: 'u1', roles })
      .setProtectedHeader({ alg: 'HS256', kid: 'hs1' })
      .setExpirationTime('5m')
      .sign(SECRET);

  it('admits a token whose claims make every JWT expression true', async () => {
    const a = await send(gw.port, '/admin', {
      headers: { Authorization: `Bearer ${await token(['admin'])}` },
    });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ ok: true });
  });

  it('refuses a valid token the expressions reject with 401 and no body, calling no backend', async () => {
    const before = backend.received.length;
    const a = await send(gw.port, '/admin', {
      headers: { Authorization: `Bearer ${await token(['user'])}` },
    });
    expect(a.status).toBe(401);
    expect(a.body).toBe('');
    expect(backend.received.length).toBe(before);
  });
});
