import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCache } from '../src/plugins/http-cache.js';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

/** Cache-Control (and other headers) each backend path answers with. */
const ANSWERS: Record<string, Record<string, string>> = {
  '/max-age': { 'Cache-Control': 'public, max-age=60' },
  '/short': { 'Cache-Control': 'max-age=1' },
  '/no-store': { 'Cache-Control': 'no-store, max-age=60' },
  '/no-cache': { 'Cache-Control': 'no-cache, max-age=60' },
  '/private': { 'Cache-Control': 'private, max-age=60' },
  '/none': {},
  '/aged': { 'Cache-Control': 'max-age=60', Age: '60' },
  '/expires': { Expires: new Date(Date.now() + 60_000).toUTCString() },
  '/vary': { 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' },
  '/vary-star': { 'Cache-Control': 'max-age=60', Vary: '*' },
  '/auth-max-age': { 'Cache-Control': 'max-age=60' },
  '/auth-s-maxage': { 'Cache-Control': 's-maxage=60' },
  '/shared': { 'Cache-Control': 'max-age=60' },
  '/big/a': { 'Cache-Control': 'max-age=60' },
  '/big/b': { 'Cache-Control': 'max-age=60' },
  '/error': { 'Cache-Control': 'max-age=60' },
  '/q': { 'Cache-Control': 'max-age=60' },
};
/** Endpoints that need more than the plain one below. */
const SPECIAL = new Set(['/q', '/vary', '/auth-max-age', '/auth-s-maxage', '/shared', '/big/a', '/big/b']);

describe('qos/http-cache', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  const calls = new Map<string, number>();

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      const url = req.url ?? '/';
      const n = (calls.get(url) ?? 0) + 1;
      calls.set(url, n);
      const path = url.split('?')[0] as string;
      json(
        res,
        {
          n,
          lang: req.headers['accept-language'] ?? null,
          pad: path.startsWith('/big') ? 'x'.repeat(600) : '',
        },
        path === '/error' ? 500 : 200,
        ANSWERS[path] ?? {},
      );
    });
    const cached = (
      path: string,
      cache: Record<string, unknown> = {},
      extra: Record<string, unknown> = {},
    ) => ({
      endpoint: path,
      backend: [{ host: [backend.origin], url_pattern: path, extra_config: { 'qos/http-cache': cache } }],
      ...extra,
    });
    gw = await startGateway({
      endpoints: [
        ...Object.keys(ANSWERS)
          .filter((p) => !SPECIAL.has(p))
          .map((p) => cached(p)),
        cached('/q', {}, { input_query_strings: ['page'] }),
        cached('/vary', {}, { input_headers: ['Accept-Language'] }),
        cached('/auth-max-age', {}, { input_headers: ['Authorization'] }),
        cached('/auth-s-maxage', {}, { input_headers: ['Authorization'] }),
        {
          endpoint: '/shared-one',
          backend: [
            {
              host: [backend.origin],
              url_pattern: '/shared',
              extra_config: { 'qos/http-cache': { shared: true } },
            },
          ],
        },
        {
          endpoint: '/shared-two',
          backend: [
            {
              host: [backend.origin],
              url_pattern: '/shared',
              extra_config: { 'qos/http-cache': { shared: true } },
            },
          ],
        },
        {
          endpoint: '/private-one',
          backend: [
            { host: [backend.origin], url_pattern: '/max-age', extra_config: { 'qos/http-cache': {} } },
          ],
        },
        {
          endpoint: '/big/{id}',
          // Room for one answer of ~700 bytes, not two.
          backend: [
            {
              host: [backend.origin],
              url_pattern: '/big/{id}',
              extra_config: { 'qos/http-cache': { max_size: 1200 } },
            },
          ],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  const body = async (path: string, headers: Record<string, string> = {}) => {
    const res = await send(gw.port, path, { headers });
    expect(res.status).toBe(200);
    return JSON.parse(res.body) as { n: number; lang: string | null };
  };
  /** The backend call counts of two requests to `path`. */
  const twice = async (path: string, headers: Record<string, string> = {}) => [
    (await body(path, headers)).n,
    (await body(path, headers)).n,
  ];

  it('serves a max-age answer from the cache: the backend is called once, the body is the same', async () => {
    const first = await send(gw.port, '/max-age');
    const second = await send(gw.port, '/max-age');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toBe(first.body);
    expect(JSON.parse(second.body)).toEqual({ n: 1, lang: null, pad: '' });
    expect(calls.get('/max-age')).toBe(1);
    expect(await twice('/expires')).toEqual([1, 1]);
  });

  it('does not store no-store, no-cache, private, unmarked, already stale or Vary: * answers', async () => {
    for (const p of ['/no-store', '/no-cache', '/private', '/none', '/aged', '/vary-star'])
      expect({ p, n: await twice(p) }).toEqual({ p, n: [1, 2] });
  });

  it('does not store errors', async () => {
    expect((await send(gw.port, '/error')).status).toBe(500);
    expect((await send(gw.port, '/error')).status).toBe(500);
    expect(calls.get('/error')).toBe(2);
  });

  it('refetches once max-age has passed', async () => {
    expect(await twice('/short')).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await body('/short')).n).toBe(2);
  });

  it('keys by the full backend URL (query included) and by the headers Vary names', async () => {
    expect((await body('/q?page=1')).n).toBe(1);
    expect((await body('/q?page=2')).n).toBe(1);
    expect((await body('/q?page=1')).n).toBe(1);
    expect(calls.get('/q?page=1')).toBe(1);

    const en = await body('/vary', { 'Accept-Language': 'en' });
    const fr = await body('/vary', { 'Accept-Language': 'fr' });
    expect([en.lang, fr.lang]).toEqual(['en', 'fr']);
    expect(await body('/vary', { 'Accept-Language': 'en' })).toEqual(en);
    expect(await body('/vary', { 'Accept-Language': 'fr' })).toEqual(fr);
    expect(calls.get('/vary')).toBe(2);
  });

  it('stores an answer to a request with Authorization only when it is public or has s-maxage', async () => {
    const auth = { Authorization: 'Bearer x' };
    expect(await twice('/auth-max-age', auth)).toEqual([1, 2]);
    expect(await twice('/auth-s-maxage', auth)).toEqual([1, 1]);
  });

  it('shares one store between shared backends; other backends keep their own', async () => {
    expect((await body('/shared-one')).n).toBe(1);
    expect((await body('/shared-two')).n).toBe(1);
    expect(calls.get('/shared')).toBe(1);
    // /private-one calls /max-age, already cached by the /max-age endpoint's own cache: not shared.
    expect((await body('/private-one')).n).toBe(2);
  });

  it('evicts the least recently used answers beyond max_size', async () => {
    expect(await twice('/big/a')).toEqual([1, 1]);
    expect((await body('/big/b')).n).toBe(1);
    // b pushed a out.
    expect((await body('/big/a')).n).toBe(2);
  });

  it('keeps its byte and item bounds', () => {
    const cache = new HttpCache({ max_items: 2 });
    const headers = { 'cache-control': 'max-age=60' };
    for (const u of ['http://h/1', 'http://h/2', 'http://h/3'])
      cache.put(u, [], 200, headers, Buffer.from('{}'));
    expect(cache.size.items).toBe(2);
    expect(cache.get('http://h/1', [])).toBeNull();
    expect(cache.get('http://h/3', [])?.body.toString()).toBe('{}');
    const small = new HttpCache({ max_size: 10 });
    small.put('http://h/1', [], 200, headers, Buffer.alloc(100));
    expect(small.size).toEqual({ items: 0, bytes: 0 });
  });
});
