import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { later, until } from './support/wait.js';

describe('aggregation', () => {
  let backend: TestBackend;
  let shadow: TestBackend;
  let gw: TestGateway;
  let concurrentCalls = 0;
  let slowAborted = false;
  let refused: string;

  beforeAll(async () => {
    refused = `http://127.0.0.1:${await closedPort()}`;
    backend = await startBackend(
      routes({
        '/a': { a: 1, shared: 'a' },
        '/b': { b: 2 },
        '/slow': (_req, res) => later(res, 150, () => json(res, { slow: true, shared: 'slow' })),
        '/hang': (_req, res) => later(res, 5000, () => json(res, { never: true })),
        '/fail': (_req, res) => {
          res.writeHead(500);
          res.end('boom');
        },
        '/user/7': { id: 7, name: 'Ada', post_ids: [3, 5], profile: { slug: 'ada-l' } },
        '/posts': (req, res) => json(res, { posts_query: req.url }),
        '/profile/ada-l': { bio: 'math' },
        '/counted': (_req, res) => {
          concurrentCalls++;
          if (concurrentCalls === 1) {
            res.on('close', () => {
              if (!res.writableEnded) slowAborted = true;
            });
            later(res, 3000, () => json(res, { call: 1 }));
          } else {
            json(res, { call: concurrentCalls });
          }
        },
      }),
    );
    shadow = await startBackend((req, res) => json(res, { shadowed: req.url }));
    const two = (...urls: string[]) => urls.map((url_pattern) => ({ url_pattern }));
    gw = await startGateway({
      host: [backend.origin],
      cache_ttl: '1m',
      endpoints: [
        { endpoint: '/merge', backend: two('/a', '/b') },
        { endpoint: '/clash', backend: two('/slow', '/a') },
        { endpoint: '/partial', backend: two('/a', '/fail') },
        { endpoint: '/late', timeout: '400ms', backend: two('/a', '/hang') },
        {
          endpoint: '/all-failed',
          backend: [{ url_pattern: '/fail' }, { url_pattern: '/x', host: [refused] }],
        },
        { endpoint: '/no-cache', cache_ttl: '0s', backend: two('/a', '/b') },
        { endpoint: '/concurrent', concurrent_calls: 3, backend: two('/counted') },
        {
          endpoint: '/seq/{id}',
          extra_config: { proxy: { sequential: true } },
          backend: [
            { url_pattern: '/user/{id}' },
            { url_pattern: '/posts?ids={resp0_post_ids}&name={resp0_name}', group: 'posts' },
            { url_pattern: '/profile/{resp0_profile.slug}' },
          ],
        },
        {
          endpoint: '/seq-first-fails/{id}',
          extra_config: { proxy: { sequential: true } },
          backend: [{ url_pattern: '/fail' }, { url_pattern: '/a' }],
        },
        {
          endpoint: '/seq-post',
          method: 'POST',
          extra_config: { proxy: { sequential: true } },
          backend: [{ url_pattern: '/a', method: 'GET' }, { url_pattern: '/posts' }],
        },
        {
          endpoint: '/with-shadow',
          backend: [
            { url_pattern: '/a' },
            { url_pattern: '/mirror', host: [shadow.origin], extra_config: { proxy: { shadow: true } } },
          ],
        },
        {
          endpoint: '/merge-flatmap',
          extra_config: {
            proxy: {
              flatmap_filter: [
                { type: 'move', args: ['a', 'alpha'] },
                { type: 'del', args: ['b'] },
              ],
            },
          },
          backend: two('/a', '/b'),
        },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
    await shadow.close();
  });

  it('merges the data of every backend, complete, with Cache-Control from cache_ttl', async () => {
    const res = await send(gw.port, '/merge');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ a: 1, shared: 'a', b: 2 });
    expect(res.headers['x-krakend-completed']).toBe('true');
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-switchyard']).toMatch(/^Version \d+\.\d+\.\d+/);
    expect((await send(gw.port, '/no-cache')).headers['cache-control']).toBeUndefined();
  });

  it('lets a later answer win a key clash', async () => {
    const res = await send(gw.port, '/clash');
    expect(JSON.parse(res.body)).toEqual({ a: 1, shared: 'slow', slow: true });
  });

  it('answers a partial 200 when a backend fails, without Cache-Control', async () => {
    const res = await send(gw.port, '/partial');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ a: 1, shared: 'a' });
    expect(res.headers['x-krakend-completed']).toBe('false');
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('answers a partial 200 when a backend is late', async () => {
    const res = await send(gw.port, '/late');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ a: 1, shared: 'a' });
    expect(res.headers['x-krakend-completed']).toBe('false');
  });

  it('answers 500 with an empty body when every backend failed', async () => {
    const res = await send(gw.port, '/all-failed');
    expect(res.status).toBe(500);
    expect(res.body).toBe('');
    expect(res.headers['x-krakend-completed']).toBe('false');
  });

  it('concurrent_calls: the first complete answer wins and the other calls are cancelled', async () => {
    concurrentCalls = 0;
    const res = await send(gw.port, '/concurrent');
    expect(res.status).toBe(200);
    const { call } = JSON.parse(res.body);
    expect([2, 3]).toContain(call);
    expect(res.headers['x-krakend-completed']).toBe('true');
    await until(() => slowAborted);
    expect(concurrentCalls).toBe(3);
  });

  it('sequential: later backends use fields of earlier answers (arrays joined with commas)', async () => {
    const res = await send(gw.port, '/seq/7');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      id: 7,
      name: 'Ada',
      post_ids: [3, 5],
      profile: { slug: 'ada-l' },
      posts: { posts_query: '/posts?ids=3,5&name=Ada' },
      bio: 'math',
    });
    expect(res.headers['x-krakend-completed']).toBe('true');
    const order = backend.received.slice(-3).map((r) => r.url);
    expect(order).toEqual(['/user/7', '/posts?ids=3,5&name=Ada', '/profile/ada-l']);
  });

  it('sequential: a failing first backend fails the request', async () => {
    const before = backend.received.length;
    const res = await send(gw.port, '/seq-first-fails/1');
    expect(res.status).toBe(500);
    expect(backend.received.slice(before).map((r) => r.url)).toEqual(['/fail']);
  });

  it('sequential lets a non-GET endpoint end with its write backend', async () => {
    const res = await send(gw.port, '/seq-post', {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const writes = backend.received.filter((r) => r.url === '/posts' && r.method === 'POST');
    expect(writes.at(-1)?.body).toBe('{"x":1}');
  });

  it('shadow backends get the request and their answer is ignored', async () => {
    const res = await send(gw.port, '/with-shadow?q=1');
    expect(JSON.parse(res.body)).toEqual({ a: 1, shared: 'a' });
    expect(res.headers['x-krakend-completed']).toBe('true');
    await until(() => shadow.received.some((r) => r.url === '/mirror'));
  });

  it('endpoint-level flatmap_filter applies to the merged data', async () => {
    expect(JSON.parse((await send(gw.port, '/merge-flatmap')).body)).toEqual({ shared: 'a', alpha: 1 });
  });
});

describe('proxy.static strategies', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/ok': { ok: true },
        '/fail': (_req, res) => {
          res.writeHead(503);
          res.end();
        },
      }),
    );
    const endpoints = [];
    for (const strategy of ['always', 'success', 'errored', 'complete', 'incomplete'] as const) {
      const extra_config = { proxy: { static: { strategy, data: { static: strategy } } } };
      endpoints.push(
        { endpoint: `/${strategy}/ok`, extra_config, backend: [{ url_pattern: '/ok' }] },
        { endpoint: `/${strategy}/fail`, extra_config, backend: [{ url_pattern: '/fail' }] },
        {
          endpoint: `/${strategy}/partial`,
          extra_config,
          backend: [{ url_pattern: '/ok' }, { url_pattern: '/fail' }],
        },
      );
    }
    gw = await startGateway({ host: [backend.origin], endpoints });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  const outcome = async (path: string) => {
    const res = await send(gw.port, path);
    return `${res.status} ${res.headers['x-krakend-completed']} ${res.body}`;
  };

  it.each([
    [
      'always',
      '200 true {"ok":true,"static":"always"}',
      '200 false {"static":"always"}',
      '200 false {"ok":true,"static":"always"}',
    ],
    ['success', '200 true {"ok":true,"static":"success"}', '500 false ', '200 false {"ok":true}'],
    [
      'errored',
      '200 true {"ok":true}',
      '200 false {"static":"errored"}',
      '200 false {"ok":true,"static":"errored"}',
    ],
    ['complete', '200 true {"ok":true,"static":"complete"}', '500 false ', '200 false {"ok":true}'],
    [
      'incomplete',
      '200 true {"ok":true}',
      '200 false {"static":"incomplete"}',
      '200 false {"ok":true,"static":"incomplete"}',
    ],
  ])('%s', async (strategy, ok, fail, partial) => {
    expect(await outcome(`/${strategy}/ok`)).toBe(ok);
    expect(await outcome(`/${strategy}/fail`)).toBe(fail);
    expect(await outcome(`/${strategy}/partial`)).toBe(partial);
  });
});
