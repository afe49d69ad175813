import { VERSION } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// What each backend request looked like, as the backend saw it.
describe('requests to backends', () => {
  let a: TestBackend;
  let b: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    a = await startBackend((req, res) => json(res, { host: 'a', url: req.url }));
    b = await startBackend((req, res) => json(res, { host: 'b', url: req.url }));
    gw = await startGateway({
      host: [a.origin],
      endpoints: [
        { endpoint: '/default', backend: [{ url_pattern: '/d' }] },
        {
          endpoint: '/listed',
          input_headers: ['X-Tenant', 'User-Agent', 'Authorization'],
          input_query_strings: ['page', 'tag'],
          backend: [{ url_pattern: '/l?fixed=1' }],
        },
        {
          endpoint: '/all',
          input_headers: ['*'],
          input_query_strings: ['*'],
          backend: [{ url_pattern: '/all' }],
        },
        {
          endpoint: '/narrowed',
          input_headers: ['X-One', 'X-Two'],
          backend: [{ url_pattern: '/n', input_headers: ['X-Two'] }],
        },
        { endpoint: '/rr', backend: [{ host: [a.origin, `${b.origin}/`], url_pattern: '/rr' }] },
        { endpoint: '/prefixed', backend: [{ host: [`127.0.0.1:${b.port}/v2`], url_pattern: '/p' }] },
        { endpoint: '/create', method: 'PUT', backend: [{ url_pattern: '/c' }] },
        { endpoint: '/as-get', method: 'POST', backend: [{ url_pattern: '/g', method: 'GET' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  const last = (backend: TestBackend) => backend.received[backend.received.length - 1]!;

  it('forwards only Content-Type by default, and sets X-Forwarded-For/-Host and the User-Agent', async () => {
    await send(gw.port, '/default?secret=1', {
      headers: {
        'Content-Type': 'application/json',
        'X-Tenant': 't1',
        Authorization: 'Bearer x',
        Cookie: 'c=1',
      },
    });
    const got = last(a);
    expect(got.url).toBe('/d');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-tenant']).toBeUndefined();
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(got.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
    expect(got.headers['user-agent']).toBe(`Switchyard/${VERSION}`);
  });

  it('forwards the listed headers and query strings only, after the url_pattern query', async () => {
    await send(gw.port, '/listed?tag=a&page=2&tag=b&other=x', {
      headers: { 'X-Tenant': 't1', 'User-Agent': 'curl/8', 'X-Other': 'no', Authorization: 'Bearer x' },
    });
    const got = last(a);
    expect(got.url).toBe('/l?fixed=1&page=2&tag=a&tag=b');
    expect(got.headers['x-tenant']).toBe('t1');
    expect(got.headers.authorization).toBe('Bearer x');
    expect(got.headers['x-other']).toBeUndefined();
    expect(got.headers['user-agent']).toBe('curl/8');
    expect(got.headers['x-forwarded-via']).toBe(`Switchyard/${VERSION}`);
  });

  it('forwards every header but hop-by-hop ones with *, and every query parameter as lura encodes them', async () => {
    await send(gw.port, '/all?y=%20z&x=1&y=(a)', {
      headers: {
        'X-A': '1',
        Connection: 'keep-alive, X-Conn',
        'Keep-Alive': 'timeout=5',
        'X-Forwarded-For': '6.6.6.6',
      },
    });
    const got = last(a);
    expect(got.url).toBe('/all?x=1&y=+z&y=%28a%29');
    expect(got.headers['x-a']).toBe('1');
    expect(got.headers['keep-alive']).toBeUndefined();
    expect(got.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('narrows the endpoint headers with a backend-level input_headers', async () => {
    await send(gw.port, '/narrowed', { headers: { 'X-One': '1', 'X-Two': '2' } });
    const got = last(a);
    expect(got.headers['x-one']).toBeUndefined();
    expect(got.headers['x-two']).toBe('2');
  });

  it('round-robins over the hosts of a backend', async () => {
    const hosts: string[] = [];
    for (let i = 0; i < 4; i++) hosts.push(JSON.parse((await send(gw.port, '/rr')).body).host);
    expect(hosts).toEqual(['a', 'b', 'a', 'b']);
  });

  it('adds http:// to a host without a scheme and keeps its path prefix', async () => {
    const res = await send(gw.port, '/prefixed');
    expect(JSON.parse(res.body)).toEqual({ host: 'b', url: '/v2/p' });
  });

  it('forwards the body with the endpoint method unless the backend sets its own', async () => {
    const put = await send(gw.port, '/create', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(put.status).toBe(200);
    expect(last(a)).toMatchObject({ method: 'PUT', url: '/c', body: '{"name":"x"}' });
    expect(last(a).headers['content-length']).toBe('12');
    await send(gw.port, '/as-get', { method: 'POST', body: 'b' });
    expect(last(a)).toMatchObject({ method: 'GET', url: '/g' });
  });

  it('forwards a chunked body', async () => {
    await send(gw.port, '/create', {
      method: 'PUT',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: 'chunked body',
    });
    expect(last(a)).toMatchObject({ method: 'PUT', body: 'chunked body' });
  });
});
