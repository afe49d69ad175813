import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/shared';
import {
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  flattenedVerify,
  generateKeyPair,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestConfig } from '../support/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'swy-signer-'));
let rsaPublic: Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];
let rsaPrivate: JWK;
let setPath: string;
const hmacSecret = 'a-shared-secret-of-thirty-two-bytes!';
const hmac: JWK = { kty: 'oct', kid: 'hmac', k: Buffer.from(hmacSecret).toString('base64url') };

let backend: TestBackend;
let keyServer: TestBackend;
/** A key server that answers only the user `keys` with this password (Basic auth). */
let lockedKeys: TestBackend;
const keyPassword = 'key-server-pw';
let logs: string[];

const endpoint = (signer: Record<string, unknown>, path = '/data'): TestConfig => ({
  endpoints: [
    {
      endpoint: '/signed',
      extra_config: { 'auth/signer': signer },
      backend: [{ host: [backend.origin], url_pattern: path }],
    },
  ],
});

async function call(signer: Record<string, unknown>, path?: string) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const gw = await startGateway(endpoint(signer, path), {
    logger: createLogger({ level: 'debug', destination }),
  });
  try {
    return await send(gw.port, '/signed');
  } finally {
    await gw.close();
    logs.push(...lines);
  }
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  rsaPublic = pair.publicKey;
  rsaPrivate = { ...(await exportJWK(pair.privateKey)), kid: 'sim2', alg: 'RS256', use: 'sig' };
  setPath = join(dir, 'private.json');
  const publicOnly = { ...(await exportJWK(pair.publicKey)), kid: 'pub', alg: 'RS256', use: 'sig' };
  writeFileSync(setPath, JSON.stringify({ keys: [rsaPrivate, hmac, publicOnly] }));
  backend = await startBackend((req, res) => {
    if (req.url === '/fail') {
      res.writeHead(500).end();
      return;
    }
    json(res, { user: { sub: '1234', name: 'Ann <a>', admin: true }, list: [1, 2], plain: 'left as is' });
  });
  keyServer = await startBackend((_req, res) => json(res, { keys: [hmac] }));
  const basic = `Basic ${Buffer.from(`keys:${keyPassword}`).toString('base64')}`;
  lockedKeys = await startBackend((req, res) => {
    if (req.headers.authorization === basic) json(res, { keys: [hmac] });
    else res.writeHead(401).end();
  });
  logs = [];
});

afterAll(async () => {
  await backend.close();
  await keyServer.close();
  await lockedKeys.close();
  // Neither key's secret part ever reaches a log line.
  const all = logs.join('');
  expect(all).not.toContain(rsaPrivate.d as string);
  expect(all).not.toContain(hmac.k as string);
  expect(all).not.toContain(keyPassword);
  expect(all).not.toContain('wrong-pw');
});

const local = { alg: 'RS256', kid: 'sim2', jwk_local_path: '', disable_jwk_security: true };

describe('auth/signer', () => {
  it('signs each keys_to_sign object into a compact JWS (alg, kid, typ JWT) of its Go JSON; 200 JSON', async () => {
    const res = await call({
      ...local,
      jwk_local_path: setPath,
      keys_to_sign: ['user', 'list', 'plain', 'none'],
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-krakend-completed']).toBeUndefined();
    const body = JSON.parse(res.body) as Record<string, unknown>;
    // Only objects are signed; other values stay.
    expect(body.list).toEqual([1, 2]);
    expect(body.plain).toBe('left as is');
    expect(body).not.toHaveProperty('none');
    const token = body.user as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'sim2', typ: 'JWT' });
    const { payload } = await compactVerify(token, rsaPublic);
    expect(new TextDecoder().decode(payload)).toBe(
      '{"admin":true,"name":"Ann \\u003ca\\u003e","sub":"1234"}',
    );
  });

  it('full: the JSON serialization, as a string; typ as configured', async () => {
    const res = await call({
      ...local,
      jwk_local_path: setPath,
      keys_to_sign: ['user'],
      full: true,
      typ: 'at+jwt',
    });
    expect(res.status).toBe(200);
    const jws = JSON.parse((JSON.parse(res.body) as { user: string }).user) as {
      payload: string;
      protected: string;
      signature: string;
    };
    expect(Object.keys(jws)).toEqual(['payload', 'protected', 'signature']);
    const { protectedHeader } = await flattenedVerify(jws, rsaPublic);
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: 'sim2', typ: 'at+jwt' });
  });

  it('jwk_url: the key fetched from the set (http allowed by disable_jwk_security), HS256', async () => {
    const res = await call({
      alg: 'HS256',
      kid: 'hmac',
      jwk_url: `${keyServer.origin}/jwk`,
      disable_jwk_security: true,
      keys_to_sign: ['user'],
    });
    expect(res.status).toBe(200);
    const token = (JSON.parse(res.body) as { user: string }).user;
    await expect(compactVerify(token, new TextEncoder().encode(hmacSecret))).resolves.toBeDefined();
  });

  it("jwk_url with a user and password: the set is asked with Basic auth, as Go's client does; the password is never logged", async () => {
    const signer = (password: string) => ({
      alg: 'HS256',
      kid: 'hmac',
      jwk_url: `http://keys:${password}@${lockedKeys.origin.slice('http://'.length)}/jwk`,
      disable_jwk_security: true,
      keys_to_sign: ['user'],
    });
    expect((await call(signer(keyPassword))).status).toBe(200);
    const before = logs.length;
    expect((await call(signer('wrong-pw'))).status).toBe(401);
    // The refused fetch was logged, naming the set's URL without its password.
    expect(logs.slice(before).join('')).toContain(
      `http://keys:***@${lockedKeys.origin.slice(7)}/jwk answered 401`,
    );
  });

  it('a backend failure answers 400 with no body', async () => {
    const res = await call({ ...local, jwk_local_path: setPath, keys_to_sign: ['user'] }, '/fail');
    expect(res.status).toBe(400);
    expect(res.body).toBe('');
  });

  it.each([
    ['a local set without disable_jwk_security (krakend-jose checks jwk_url)', { alg: 'RS256', kid: 'sim2' }],
    // jwk_local_path is the set's (filled in below): `local`'s empty one would fail for another reason.
    ['a kid the set lacks', { alg: 'RS256', kid: 'other', disable_jwk_security: true }],
    [
      'a public key (krakend-jose: public key not supported)',
      { alg: 'RS256', kid: 'pub', disable_jwk_security: true },
    ],
    ['a key server that is not there', null],
    [
      'an http jwk_url without disable_jwk_security',
      { alg: 'HS256', kid: 'hmac', jwk_url: 'http://127.0.0.1:1/jwk' },
    ],
  ])('a signer that cannot be built answers 401 with no body: %s', async (_name, cfg) => {
    const signer =
      cfg === null
        ? {
            alg: 'HS256',
            kid: 'hmac',
            jwk_url: `http://127.0.0.1:${await closedPort()}/`,
            disable_jwk_security: true,
          }
        : { jwk_local_path: setPath, ...cfg };
    const res = await call({ ...signer, keys_to_sign: ['user'] });
    expect(res.status).toBe(401);
    expect(res.body).toBe('');
  });
});
