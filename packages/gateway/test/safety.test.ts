import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { until } from './support/wait.js';

describe('path parameters never change the backend path, query or host', () => {
  let backend: TestBackend;
  let strict: TestGateway;
  let lenient: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { url: req.url }));
    const endpoints = [
      { endpoint: '/users/{id}', backend: [{ url_pattern: '/u/{id}/profile' }] },
      { endpoint: '/q/{term}', backend: [{ url_pattern: '/search?q={term}&limit=5' }] },
      { endpoint: '/h/{where}', backend: [{ url_pattern: '/{where}' }] },
    ];
    strict = await startGateway({ host: [backend.origin], endpoints });
    lenient = await startGateway({
      host: [backend.origin],
      endpoints,
      extra_config: { router: { disable_path_decoding: true } },
    });
  });
  afterAll(async () => {
    await strict.close();
    await lenient.close();
    await backend.close();
  });

  const backendUrl = async (gw: TestGateway, path: string) => {
    const res = await send(gw.port, path);
    expect(res.status).toBe(200);
    return JSON.parse(res.body).url as string;
  };

  it('encodes ordinary values', async () => {
    expect(await backendUrl(strict, '/users/john%20doe')).toBe('/u/john%20doe/profile');
    expect(await backendUrl(strict, '/users/caf%C3%A9')).toBe('/u/caf%C3%A9/profile');
    expect(await backendUrl(strict, '/users/a+b')).toBe('/u/a%2Bb/profile');
    expect(await backendUrl(strict, '/q/a%26limit%3D1000')).toBe('/search?q=a%26limit%3D1000&limit=5');
  });

  it.each([
    '/users/..',
    '/users/.',
    '/users/%2E%2E',
    '/users/..%2Fadmin',
    '/users/x%3Fadmin=1',
    '/users/x%23frag',
    '/users/%252F',
    '/users/%zz',
  ])('refuses %s with 400 and never calls the backend', async (path) => {
    const before = backend.received.length;
    const res = await send(strict.port, path);
    expect(res.status).toBe(400);
    expect(res.body).toBe('error: encoded url params');
    expect(backend.received.length).toBe(before);
  });

  it('with router.disable_path_decoding, encodes / ? # into the one segment the value fills', async () => {
    expect(await backendUrl(lenient, '/users/..%2F..%2Fadmin')).toBe('/u/..%2F..%2Fadmin/profile');
    expect(await backendUrl(lenient, '/users/x%3Fadmin%3D1')).toBe('/u/x%3Fadmin%3D1/profile');
    expect(await backendUrl(lenient, '/users/x%23frag')).toBe('/u/x%23frag/profile');
    expect(await backendUrl(lenient, '/h/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
    expect((await send(lenient.port, '/users/..')).status).toBe(400);
  });
});

describe('size limits', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res, body) => json(res, { size: body.length, method: req.method }));
    gw = await startGateway({
      host: [backend.origin],
      max_header_bytes: 2048,
      extra_config: { router: { max_body_bytes: 16 } },
      endpoints: [
        { endpoint: '/upload', method: 'POST', backend: [{ url_pattern: '/u' }] },
        { endpoint: '/get', backend: [{ url_pattern: '/g' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('accepts a body up to router.max_body_bytes', async () => {
    const res = await send(gw.port, '/upload', { method: 'POST', body: 'x'.repeat(16) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ size: 16, method: 'POST' });
  });

  it('answers 413 to a larger Content-Length without calling the backend', async () => {
    const before = backend.received.length;
    const res = await send(gw.port, '/upload', { method: 'POST', body: 'x'.repeat(17) });
    expect(res.status).toBe(413);
    expect(res.body).toBe('413 request entity too large');
    expect(res.headers.connection).toBe('close');
    expect(backend.received.length).toBe(before);
  });

  it('answers 413 to a chunked body once it passes the limit', async () => {
    const res = await send(gw.port, '/upload', {
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: 'y'.repeat(64),
    });
    expect(res.status).toBe(413);
  });

  it('answers 431 when the request headers pass max_header_bytes', async () => {
    const res = await send(gw.port, '/get', { headers: { 'X-Big': 'z'.repeat(4096) } });
    expect(res.status).toBe(431);
    expect(res.body).toBe('431 request header fields too large');
    const ok = await send(gw.port, '/get', { headers: { 'X-Small': 'z'.repeat(256) } });
    expect(ok.status).toBe(200);
  });

  it('logs the 431 refusal as SWY_HEADERS_TOO_LARGE', async () => {
    const lines: { err?: { code?: string } }[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        cb();
      },
    });
    const logged = await startGateway(
      { max_header_bytes: 2048, endpoints: [] },
      { logger: createLogger({ level: 'debug', destination }) },
    );
    try {
      expect((await send(logged.port, '/', { headers: { 'X-Big': 'z'.repeat(4096) } })).status).toBe(431);
      await until(() => lines.some((l) => l.err?.code === 'SWY_HEADERS_TOO_LARGE'));
    } finally {
      await logged.close();
    }
  });
});

// Issue 16.10: Node keeps the first 1000 header fields and drops the rest without a word.
describe('header field count', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { fields: req.rawHeaders.length / 2 }));
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [{ endpoint: '/get', backend: [{ url_pattern: '/g' }] }],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  /** A raw request with `n` extra header fields (short ones: far under max_header_bytes). */
  const withFields = (n: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(gw.port, '127.0.0.1', () => {
        let head = 'GET /get HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n';
        for (let i = 0; i < n; i++) head += `a:${i % 10}\r\n`;
        socket.write(`${head}\r\n`);
      });
      let answer = '';
      socket.setEncoding('utf8').on('data', (c: string) => {
        answer += c;
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers 431 to more than 1000 header fields instead of cutting them', async () => {
    const before = backend.received.length;
    const answer = await withFields(3000);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toContain('431 request header fields too large');
    expect(backend.received.length).toBe(before);
  });

  it('serves 1000 header fields', async () => {
    const answer = await withFields(997);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
