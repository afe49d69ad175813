import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/shared';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWK_REFETCH_COOLDOWN_MS } from '../src/plugins/jwk-source.js';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://issuer.test';
const HS_SECRET = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');

describe('auth/validator', () => {
  let backend: TestBackend;
  let jwks: TestBackend;
  let gw: TestGateway;
  let dir: string;
  let rsKey: Key;
  let otherKey: Key;
  let rotatedKey: Key;
  /** What the JWK server serves; tests rotate it. */
  let served: JWK[] = [];

  const sign = (
    claims: JWTPayload,
    o: { key?: Key | Uint8Array; kid?: string | null; alg?: string } = {},
  ) => {
    const alg = o.alg ?? 'RS256';
    const header = o.kid === null ? { alg } : { alg, kid: o.kid ?? 'rs1' };
    return new SignJWT({ iss: ISSUER, aud: ['api', 'web'], ...claims })
      .setProtectedHeader(header)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(o.key ?? rsKey);
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const get = (path: string, headers: Record<string, string> = {}) => send(gw.port, path, { headers });

  beforeAll(async () => {
    ({ privateKey: rsKey } = await generateKeyPair('RS256', { extractable: true }));
    otherKey = (await generateKeyPair('RS256', { extractable: true })).privateKey;
    rotatedKey = (await generateKeyPair('RS256', { extractable: true })).privateKey;
    // The public half of rsKey: derive it from the private JWK.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rsPublic } = await exportJWK(rsKey);
    served = [{ ...rsPublic, kid: 'rs1', alg: 'RS256', use: 'sig' }];

    jwks = await startBackend((_req, res) => json(res, { keys: served }));
    backend = await startBackend((req, res) =>
      json(res, { user: req.headers['x-user'] ?? null, roles: req.headers['x-roles'] ?? null }),
    );
    dir = mkdtempSync(join(tmpdir(), 'swy-jwt-'));
    const localPath = join(dir, 'jwks.json');
    writeFileSync(
      localPath,
      JSON.stringify({
        keys: [{ kty: 'oct', kid: 'hs1', alg: 'HS256', k: Buffer.from(HS_SECRET).toString('base64url') }],
      }),
    );

    const remote = { alg: 'RS256', jwk_url: `${jwks.origin}/jwks`, disable_jwk_security: true, cache: true };
    const ep = (path: string, validator: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      endpoint: path,
      input_headers: ['X-User', 'X-Roles'],
      extra_config: { 'auth/validator': validator },
      backend: [{ host: [backend.origin], url_pattern: '/who' }],
      ...extra,
    });
    gw = await startGateway({
      endpoints: [
        ep('/plain', { ...remote, issuer: ISSUER, audience: ['api', 'web'] }),
        ep('/roles', {
          ...remote,
          roles_key: 'realm.roles',
          roles_key_is_nested: true,
          roles: ['admin', 'ops'],
        }),
        ep('/roles-flat', { ...remote, roles_key: 'groups', roles: ['ops'] }),
        ep('/scopes-any', { ...remote, scopes_key: 'scope', scopes: ['read', 'write'] }),
        ep('/scopes-all', {
          ...remote,
          scopes_key: 'scope',
          scopes: ['read', 'write'],
          scopes_matcher: 'all',
        }),
        ep('/cookie', { ...remote, cookie_key: 'session' }),
        ep('/claims', {
          ...remote,
          propagate_claims: [
            ['sub', 'X-User'],
            ['realm.roles', 'X-Roles'],
          ],
        }),
        ep('/nocache', { ...remote, cache: false }),
        ep('/local', { alg: 'HS256', jwk_local_path: localPath }),
        ep('/no-keys', { alg: 'RS256' }),
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
    await jwks.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 with no body when there is no token, and does not call the backend', async () => {
    const before = backend.received.length;
    const res = await get('/plain');
    expect(res.status).toBe(401);
    expect(res.body).toBe('');
    expect((await get('/plain', { Authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(401);
    expect(backend.received.length).toBe(before);
  });

  it('lets a valid RS256 token through, fetching the JWK set once while cached', async () => {
    const fetchesBefore = jwks.received.length;
    const token = await sign({ sub: 'alice' });
    const res = await get('/plain', bearer(token));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ user: null, roles: null });
    expect((await get('/plain', bearer(token))).status).toBe(200);
    expect((await get('/roles-flat', bearer(await sign({ groups: ['ops'] })))).status).toBe(200);
    // Each endpoint has its own validator, which fetched the set once for all its requests.
    expect(jwks.received.length - fetchesBefore).toBe(2);
    expect(jwks.received.every((r) => r.url === '/jwks' && r.method === 'GET')).toBe(true);
  });

  it('answers 401 to expired, wrongly signed, wrong-issuer, wrong-audience, wrong-alg and kid-less tokens', async () => {
    const expired = await new SignJWT({ iss: ISSUER, aud: ['api', 'web'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs1' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(rsKey);
    const cases = {
      expired,
      forged: await sign({}, { key: otherKey }),
      issuer: await sign({ iss: 'https://evil.test' }),
      // `audience` lists api and web: the token must hold ALL of them, as KrakenD checks.
      audience: await sign({ aud: 'api' }),
      alg: await sign({}, { key: HS_SECRET, alg: 'HS256' }),
      nokid: await sign({}, { kid: null }),
      unknownKid: await sign({}, { kid: 'nope' }),
      garbage: 'not.a.jwt',
    };
    const statuses: Record<string, number> = {};
    for (const [name, token] of Object.entries(cases))
      statuses[name] = (await get('/plain', bearer(token))).status;
    expect(statuses).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, 401])));
  });

  it('answers 403 when the roles (nested or flat, array or string) do not include one required', async () => {
    const nested = (roles: unknown) => sign({ realm: { roles } });
    expect((await get('/roles', bearer(await nested(['user', 'ops'])))).status).toBe(200);
    expect((await get('/roles', bearer(await nested('admin user')))).status).toBe(200);
    const refused = await get('/roles', bearer(await nested(['user'])));
    expect(refused.status).toBe(403);
    expect(refused.body).toBe('');
    expect((await get('/roles', bearer(await sign({})))).status).toBe(403);
    expect((await get('/roles-flat', bearer(await sign({ groups: 'dev' })))).status).toBe(403);
  });

  it('matches scopes with any (default) and all', async () => {
    const scoped = (scope: string) => sign({ scope });
    expect((await get('/scopes-any', bearer(await scoped('read')))).status).toBe(200);
    expect((await get('/scopes-any', bearer(await scoped('profile')))).status).toBe(403);
    expect((await get('/scopes-all', bearer(await scoped('read')))).status).toBe(403);
    expect((await get('/scopes-all', bearer(await scoped('write profile read')))).status).toBe(200);
  });

  it('reads the token from cookie_key when there is no bearer header', async () => {
    const token = await sign({});
    expect((await get('/cookie', { Cookie: `theme=dark; session=${token}` })).status).toBe(200);
    expect((await get('/cookie', { Cookie: `access_token=${token}` })).status).toBe(401);
  });

  it('propagates claims (nested ones too) to backend headers, replacing what the client sent', async () => {
    const token = await sign({ sub: 'alice', realm: { roles: ['admin', 'ops'] } });
    const res = await get('/claims', { ...bearer(token), 'X-User': 'mallory' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ user: 'alice', roles: 'admin,ops' });
    // A missing claim gives an empty header, never the client's value.
    const bare = await get('/claims', { ...bearer(await sign({})), 'X-User': 'mallory' });
    expect(JSON.parse(bare.body)).toEqual({ user: '', roles: '' });
  });

  it('fetches the JWK set for every token without cache', async () => {
    const token = await sign({});
    const before = jwks.received.length;
    expect((await get('/nocache', bearer(token))).status).toBe(200);
    expect((await get('/nocache', bearer(token))).status).toBe(200);
    expect(jwks.received.length - before).toBe(2);
  });

  it('refetches a cached JWK set when a token names an unknown kid (keys rotated)', async () => {
    expect((await get('/scopes-any', bearer(await sign({ scope: 'read' })))).status).toBe(200);
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = await exportJWK(rotatedKey);
    served = [...served, { ...pub, kid: 'rs2', alg: 'RS256' }];
    await new Promise((r) => setTimeout(r, JWK_REFETCH_COOLDOWN_MS + 100));
    const before = jwks.received.length;
    const rotated = await sign({ scope: 'read' }, { key: rotatedKey, kid: 'rs2' });
    expect((await get('/scopes-any', bearer(rotated))).status).toBe(200);
    expect(jwks.received.length - before).toBe(1);
    // Within the cooldown another unknown kid is refused without hammering the key server.
    expect((await get('/scopes-any', bearer(await sign({}, { kid: 'rs3' })))).status).toBe(401);
    expect(jwks.received.length - before).toBe(1);
  });

  it('starts without a key source and refuses every token at request time (401), as KrakenD does', async () => {
    const before = backend.received.length;
    expect((await get('/no-keys', bearer(await sign({ scope: 'read' })))).status).toBe(401);
    expect((await get('/no-keys')).status).toBe(401);
    expect(backend.received.length).toBe(before);
  });

  it('validates HS256 tokens against a local JWK set (jwk_local_path)', async () => {
    const ok = await sign({}, { key: HS_SECRET, alg: 'HS256', kid: 'hs1' });
    expect((await get('/local', bearer(ok))).status).toBe(200);
    const wrong = await sign(
      {},
      { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'), alg: 'HS256', kid: 'hs1' },
    );
    expect((await get('/local', bearer(wrong))).status).toBe(401);
    expect((await get('/local', bearer(await sign({}, { kid: 'hs1' })))).status).toBe(401);
  });

  it('does not serve (500, logged at start) an http jwk_url without disable_jwk_security, nor an unknown alg', async () => {
    const reasons: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        const line = JSON.parse(String(chunk)) as { msg: string; reason?: string };
        if (line.msg.startsWith('endpoint not served')) reasons.push(line.reason ?? '');
        done();
      },
    });
    const ep = (endpoint: string, validator: Record<string, unknown>) => ({
      endpoint,
      extra_config: { 'auth/validator': validator },
      backend: [{ host: [backend.origin], url_pattern: '/who' }],
    });
    const broken = await startGateway(
      {
        endpoints: [
          ep('/http-jwks', { alg: 'RS256', jwk_url: 'http://127.0.0.1:1/jwks' }),
          ep('/bad-alg', { alg: 'XX1', jwk_url: 'https://x.test/jwks' }),
        ],
      },
      { logger: createLogger({ level: 'info', destination }) },
    );
    try {
      const before = backend.received.length;
      for (const path of ['/http-jwks', '/bad-alg'])
        expect((await send(broken.port, path, { headers: bearer(await sign({})) })).status).toBe(500);
      expect(backend.received.length).toBe(before);
      expect(reasons).toEqual([
        'endpoints[0] (GET /http-jwks) auth/validator: jwk_url must use https (disable_jwk_security allows http): http://127.0.0.1:1/jwks',
        expect.stringContaining('unknown alg XX1'),
      ]);
    } finally {
      await broken.close();
    }
  });
});
