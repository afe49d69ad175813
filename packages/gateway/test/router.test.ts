import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../src/router/router.js';
import { json, routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

describe('router', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/me': { who: 'me' },
        '/user': (req, res) => json(res, { url: req.url }),
        '/post': (_req, res, body) => json(res, { posted: body }),
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        { endpoint: '/users/me', backend: [{ url_pattern: '/me' }] },
        { endpoint: '/users/{id}', backend: [{ url_pattern: '/user?id={id}' }] },
        { endpoint: '/users/{id}', method: 'POST', backend: [{ url_pattern: '/post' }] },
        { endpoint: '/items', backend: [{ url_pattern: '/me' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('answers an unknown path with 404 as KrakenD (gin) does', async () => {
    const res = await send(gw.port, '/nope');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['x-krakend-completed']).toBe('false');
    expect(res.body).toBe('404 page not found');
  });

  it('answers a known path with another method with 405 and Allow', async () => {
    const res = await send(gw.port, '/users/7', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.body).toBe('405 method not allowed');
    expect((await send(gw.port, '/__health', { method: 'POST' })).headers.allow).toBe('GET');
  });

  it('prefers a static segment over a parameter, and matches parameters', async () => {
    expect(JSON.parse((await send(gw.port, '/users/me')).body)).toEqual({ who: 'me' });
    expect(JSON.parse((await send(gw.port, '/users/42')).body)).toEqual({ url: '/user?id=42' });
    const post = await send(gw.port, '/users/me', {
      method: 'POST',
      body: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    expect(post.status).toBe(200);
    expect(JSON.parse(post.body)).toEqual({ posted: 'hi' });
  });

  it('redirects a path that differs by a trailing slash (301 for GET, 307 otherwise), keeping the query', async () => {
    const get = await send(gw.port, '/items/?a=1');
    expect(get.status).toBe(301);
    expect(get.headers.location).toBe('/items?a=1');
    expect(get.body).toBe('<a href="/items?a=1">Moved Permanently</a>.\n\n');
    const post = await send(gw.port, '/users/5/', { method: 'POST' });
    expect(post.status).toBe(307);
    expect(post.headers.location).toBe('/users/5');
  });

  it('serves /__health with the KrakenD body', async () => {
    const res = await send(gw.port, '/__health');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toMatch(
      /^\{"agents":\{\},"now":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0000 UTC","status":"ok"\}$/,
    );
  });

  it('has no /__debug or /__echo unless enabled', async () => {
    expect((await send(gw.port, '/__debug/x')).status).toBe(404);
    expect((await send(gw.port, '/__echo/x')).status).toBe(404);
  });
});

describe('built-in debug and echo endpoints', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ echo_endpoint: true, endpoints: [] }, { debug: true });
  });
  afterAll(() => gw.close());

  it('answers /__debug/* with pong for any method', async () => {
    for (const method of ['GET', 'POST', 'PUT']) {
      const res = await send(gw.port, '/__debug/a/b?x=1', {
        method,
        body: method === 'GET' ? undefined : 'payload',
      });
      expect(res.status).toBe(200);
      expect(res.body).toBe('{"message":"pong"}');
    }
  });

  it('answers /__echo/* with what it received', async () => {
    const res = await send(gw.port, '/__echo/a%20b?z=2&a=1&a=3', {
      method: 'POST',
      headers: { 'X-Custom': 'yes', 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body);
    expect(echo).toMatchObject({
      req_uri: '/__echo/a%20b?z=2&a=1&a=3',
      req_uri_details: {
        scheme: '',
        user: '',
        host: `127.0.0.1:${gw.port}`,
        path: '/__echo/a b',
        query: 'a=1&a=3&z=2',
        fragment: '',
      },
      req_method: 'POST',
      req_querystring: { a: ['1', '3'], z: ['2'] },
      req_body: 'hello',
    });
    expect(echo.req_headers['X-Custom']).toEqual(['yes']);
    expect(echo.req_headers['Content-Type']).toEqual(['text/plain']);
    expect(echo.req_headers.Host).toBeUndefined();
  });
});

describe('Router redirect locations (unit)', () => {
  const router = new Router<string>();
  router.add('GET', '/{id}', 'id');
  router.add('GET', '/Docs/{page}', 'docs');
  const location = (path: string) => {
    const found = router.lookup('GET', path);
    return found.kind === 'redirect' ? found.location : found.kind;
  };

  it('escapes a backslash as Go escapes the path, so /\\host never reaches a browser (open redirect)', () => {
    expect(location('/\\evil.com/')).toBe('/%5Cevil.com');
    expect(location('/docs/\\evil.com')).toBe('/Docs/%5Cevil.com');
  });

  it("escapes what Go's URL.EscapedPath escapes and keeps what it keeps", () => {
    expect(location('/a b\t"<>^`{|}\u00c3\u00a9!*/')).toBe('/a%20b%09%22%3C%3E%5E%60%7B%7C%7D%C3%A9%21%2A');
    expect(location("/$&+,:;=@-._~'/")).toBe('/$&+,:;=@-._~%27');
    expect(location('/a%20b%2fc%zz/')).toBe('/a%20b/c%25zz');
  });

  it('never answers a location that starts with // or /\\', () => {
    for (const path of [
      '//evil.com/',
      '/\\evil.com/',
      '/%5Cevil.com/',
      '/%2F%2Fevil.com/',
      '/\\/evil.com/',
    ]) {
      const loc = location(path);
      expect(loc.startsWith('//') || loc.startsWith('/\\')).toBe(false);
    }
  });
});
