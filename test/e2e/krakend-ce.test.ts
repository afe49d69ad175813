import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { main } from '@switchyard/cli';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testIO, until } from './support/switchyard.js';

// A KrakenD CE file as a KrakenD user writes it (fixtures/krakend-ce.json, written from KrakenD's docs):
// core features, namespaces Switchyard implements, and a few it lacks. Only its backend address is changed,
// to a loopback backend of the test's. `switchyard run` must start on it, serve every endpoint it can
// against that backend, answer the two it cannot serve faithfully with 500, and say why on stderr.

const fixture = readFileSync(new URL('./fixtures/krakend-ce.json', import.meta.url), 'utf8');
const tmp = tempDir('krakend-ce');
let backend: Server;
let file: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];

function answer(req: IncomingMessage, res: ServerResponse, body: string) {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const url = new URL(req.url ?? '/', 'http://backend');
  const [, kind, id] = url.pathname.split('/');
  if (kind === 'users')
    return json(200, {
      id: Number(id),
      name: 'Ada',
      email: 'ada@acme.test',
      password_hash: 'x',
      account_id: 7,
    });
  if (kind === 'accounts') return json(200, { id, balance: 42 });
  if (kind === 'profiles') return json(200, { data: { bio: 'hi', internal: true } });
  if (kind === 'orders')
    return json(201, { received: JSON.parse(body), content_type: req.headers['content-type'] });
  if (kind === 'items') return json(200, [{ id: 1 }, { id: 2 }]);
  if (kind === 'jwks.json') return json(200, { keys: [] });
  if (kind === 'files') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-File': id });
    return res.end(`file ${id}`);
  }
  json(404, { error: 'no such thing' });
}

beforeAll(async () => {
  backend = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const origin = `127.0.0.1:${(backend.address() as AddressInfo).port}`;
  file = join(tmp.dir, 'krakend.json');
  // The placeholder backend sits alone on its lines, so the positions of the warnings below do not move.
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(file, fixture.replaceAll('127.0.0.1:8000', origin)),
  );
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
  tmp.cleanup();
});

/** The `gateway listening` log line's port (the CLI logs JSON lines on stdout). */
function listeningPort(out: string): number | undefined {
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg?.endsWith('gateway listening') && entry.port) return entry.port;
  }
  return undefined;
}

describe('an unmodified KrakenD CE file under switchyard run', () => {
  it('starts, serves every endpoint it can, answers 500 for the one it cannot serve, and warns about the rest', async () => {
    const io = testIO({ LOG_LEVEL: 'info' });
    const done = main(['run', '-c', file, '-p', '0', '--admin-listen', '127.0.0.1:0'], io);
    let port: number | undefined;
    await until(() => {
      port = listeningPort(io.out());
      return port !== undefined || io.err().includes(' error ');
    }, 'the gateway to listen');
    expect(port, io.err()).toBeDefined();
    const base = `http://127.0.0.1:${port}`;
    const call = async (
      path: string,
      init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {},
    ) => {
      const res = await request(`${base}${path}`, init);
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    };

    try {
      // Warnings, once, at start: file, line:column, pointer.
      expect(io.err().split('\n').filter(Boolean)).toEqual([
        `${file}:11:3 warning /dns_cache_ttl: "dns_cache_ttl" is not implemented by Switchyard; ignored`,
        `${file}:13:37 warning /extra_config/telemetry~1logging/level: "info" read as "INFO", as KrakenD's decoder does`,
        `${file}:38:11 warning /endpoints/0/backend/0/timeout: unknown key; ignored`,
        `${file}:102:5 warning /endpoints/9: GET /v1/legacy/{id} is not served (namespace "backend/lambda" is not implemented by Switchyard); it answers 500, as KrakenD answers an endpoint it cannot build`,
        `${file}:108:13 warning /endpoints/9/backend/0/extra_config/backend~1lambda: namespace "backend/lambda" is not implemented by Switchyard; ignored`,
      ]);
      const notServed = io
        .out()
        .split('\n')
        .filter((l) => l.includes('endpoint not served'))
        .map((l) => JSON.parse(l) as { level: number; endpoint: string; method: string });
      expect(notServed.map((l) => [l.level, l.method, l.endpoint])).toEqual([[50, 'GET', '/v1/legacy/{id}']]);

      // allow + mapping; the backend's unknown `timeout` ignored; circuit breaker and rate limit in place.
      expect(JSON.parse((await call('/v1/users/1')).body)).toEqual({
        id: 1,
        name: 'Ada',
        contact: 'ada@acme.test',
      });
      // Aggregation: group, target, deny.
      expect(JSON.parse((await call('/v1/dashboard/7')).body)).toEqual({
        account: { id: '7', balance: 42 },
        bio: 'hi',
      });
      // POST with an input header allowlist.
      const order = await call('/v1/orders', {
        method: 'POST',
        body: '{"sku":"a1"}',
        headers: { 'Content-Type': 'application/json', 'X-Dropped': 'yes' },
      });
      expect(JSON.parse(order.body)).toEqual({ received: { sku: 'a1' }, content_type: 'application/json' });
      expect(seen.at(-1)?.headers['x-dropped']).toBeUndefined();
      // A collection mapped to a key, with the query string allowlist.
      expect(JSON.parse((await call('/v1/items?page=2&secret=1')).body)).toEqual({
        items: [{ id: 1 }, { id: 2 }],
      });
      expect(seen.at(-1)?.url).toBe('/items?page=2');
      // Sequential proxy: the second call uses the first answer's account_id.
      expect(JSON.parse((await call('/v1/account-of/3')).body)).toEqual({
        account_id: 7,
        id: '7',
        balance: 42,
      });
      expect(seen.at(-1)?.url).toBe('/accounts/7');
      // Static data merged.
      expect(JSON.parse((await call('/v1/promo')).body)).toEqual({ id: '1', balance: 42, promo: 'WINTER' });
      // no-op output on a backend without an encoding: passed through as it is.
      const raw = await call('/v1/files/readme.txt');
      expect([raw.status, raw.headers['x-file'], raw.body]).toEqual([200, 'readme.txt', 'file readme.txt']);
      // auth/validator: no token, 401.
      expect((await call('/v1/me')).status).toBe(401);
      // security/http's headers on every answer.
      const secured = await call('/v1/users/1');
      expect([secured.headers['x-frame-options'], secured.headers['x-content-type-options']]).toEqual([
        'DENY',
        'nosniff',
      ]);
      // validation/json-schema: a body without the required field is refused 400 before any backend call.
      const before = seen.length;
      const signup = await call('/v1/signup', { method: 'POST', body: '{}' });
      expect([signup.status, signup.body]).toEqual([400, "- (root): must have required property 'email'"]);
      // The endpoint Switchyard cannot serve faithfully: 500, no body, the backend not called.
      const legacy = await call('/v1/legacy/1');
      expect([legacy.status, legacy.body]).toEqual([500, '']);
      expect(seen.length).toBe(before);
    } finally {
      io.stop();
    }
    expect(await done).toBe(0);
  });

  it('plain check says Syntax OK!, as KrakenD check does; check --lint lists what its linter would', async () => {
    const plain = testIO();
    expect(await main(['check', '-c', file], plain)).toBe(0);
    expect(plain.out()).toBe('Syntax OK!\n');
    const lint = testIO();
    expect(await main(['check', '--lint', '-c', file], lint)).toBe(1);
    expect(lint.err()).toContain(`${file}:38:11 error /endpoints/0/backend/0/timeout: unknown key`);
    expect(lint.err()).toContain(
      `${file}:13:37 error /extra_config/telemetry~1logging/level: expected one of DEBUG`,
    );
  });
});
