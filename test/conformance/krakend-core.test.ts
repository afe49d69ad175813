// The conformance suite: krakend.json (a KrakenD CE file written from KrakenD's documentation) served by
// Switchyard against the loopback backends of backend.ts. Each case pins one KrakenD behaviour: status,
// headers and body byte for byte. Headers are compared as a sorted list (Go writes them sorted), without
// Date and the Connection/Keep-Alive pair Node adds (listed in docs/krakend-compatibility.md).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '@switchyard/config';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createLogger, VERSION } from '@switchyard/shared';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceBackend, startConformanceBackend } from './backend.js';

interface Answer {
  status: number;
  headers: string[][];
  body: string;
}

const IGNORED = new Set(['date', 'connection', 'keep-alive']);
const OWN = ['x-switchyard', `Version ${VERSION}`];

/** One request on a fresh connection; the answer's raw headers lower-cased and sorted. */
function call(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: string[][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = (res.rawHeaders[i] as string).toLowerCase();
            if (!IGNORED.has(name)) headers.push([name, res.rawHeaders[i + 1] as string]);
          }
          headers.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The expected answer, its headers sorted as `call` sorts them. */
function answer(status: number, headers: string[][], body: string): Answer {
  const all = [...headers, ['content-length', String(Buffer.byteLength(body))]];
  all.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
  return { status, headers: all, body };
}

const JSON_TYPE = ['content-type', 'application/json; charset=utf-8'];
const COMPLETE = ['x-krakend-completed', 'true'];
const INCOMPLETE = ['x-krakend-completed', 'false'];
const CACHED = ['cache-control', 'public, max-age=300'];
/** A failure written with return_error_msg. */
const text = (status: number, body: string, type = 'text/plain; charset=utf-8') =>
  answer(status, [OWN, INCOMPLETE, ['content-type', type]], body);
/** A complete JSON answer of an endpoint with the file's cache_ttl. */
const ok = (body: string) => answer(200, [OWN, JSON_TYPE, COMPLETE, CACHED], body);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('KrakenD CE core conformance (test/conformance/krakend.json)', () => {
  let backend: ConformanceBackend;
  let dir: string;
  let refused: number;
  let token: string;
  const gateways: Gateway[] = [];
  /** Port of the file as written; `msg` adds router.return_error_msg, as a KrakenD user would. */
  const port = { plain: 0, msg: 0 };

  async function start(extra: Record<string, unknown>): Promise<number> {
    const file = JSON.parse(await readFile(new URL('./krakend.json', import.meta.url), 'utf8'));
    const text = JSON.stringify({ ...file, extra_config: { ...file.extra_config, ...extra } })
      .replaceAll('http://backend:9000', backend.origin)
      .replaceAll('http://refused:1', `http://127.0.0.1:${refused}`)
      .replaceAll('"jwk.json"', JSON.stringify(join(dir, 'jwk.json')));
    const path = join(dir, `krakend-${gateways.length}.json`);
    await writeFile(path, text);
    const { config } = await loadGatewayConfig(path, { env: {} });
    const gateway = createGateway({
      config,
      host: '127.0.0.1',
      port: 0,
      admin: false,
      logger: createLogger({ level: 'silent' }),
    });
    gateways.push(gateway);
    return (await gateway.listen()).port;
  }

  beforeAll(async () => {
    backend = await startConformanceBackend();
    dir = await mkdtemp(join(tmpdir(), 'swy-conformance-'));
    refused = await closedPort();
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    await writeFile(join(dir, 'jwk.json'), JSON.stringify({ keys: [jwk] }));
    token = await new SignJWT({ sub: 'user/42', tenant: 'acme', roles: ['a', 'b'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://issuer.example')
      .setExpirationTime('10m')
      .sign(privateKey);
    port.plain = await start({});
    port.msg = await start({ router: { return_error_msg: true } });
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('merging and data manipulation', () => {
    it('merges two backends into one object, keys sorted and <>& escaped as Go writes JSON, with Cache-Control from cache_ttl', async () => {
      expect(await call(port.plain, '/users/1')).toEqual(
        ok(
          '{"address":{"city":"London"},"id":1,"name":"Ada","posts":[{"id":10,"title":"\\u003cb\\u003eNotes\\u003c/b\\u003e \\u0026 sketches"},{"id":11,"title":"Second"}]}',
        ),
      );
    });

    it('deny removes nested fields and keeps the objects it emptied as {}; group nests the result', async () => {
      expect(await call(port.plain, '/users/1/private')).toEqual(
        answer(
          200,
          [OWN, JSON_TYPE, COMPLETE],
          '{"user":{"address":{"city":"London","geo":{},"zip":"N1"},"id":1,"name":"Ada","tags":["math","engines"]}}',
        ),
      );
    });

    it('target extracts an object before mapping renames its fields', async () => {
      expect(await call(port.plain, '/users/1/city')).toEqual(
        ok('{"geo":{"lat":51.5,"lng":-0.1},"town":"London","zip":"N1"}'),
      );
    });

    it('json-collection output answers the collection of an is_collection backend as an array', async () => {
      expect(await call(port.plain, '/posts/1')).toEqual(
        ok(
          '[{"id":10,"title":"\\u003cb\\u003eNotes\\u003c/b\\u003e \\u0026 sketches"},{"id":11,"title":"Second"}]',
        ),
      );
    });

    it('string encoding and output pass text through as text/plain; charset=utf-8', async () => {
      expect(await call(port.plain, '/motd')).toEqual(
        answer(200, [OWN, ['content-type', 'text/plain; charset=utf-8'], COMPLETE, CACHED], 'Mind the gap'),
      );
    });

    it('flatmap_filter on a merge moves an indexed field and deletes a collection', async () => {
      expect(await call(port.plain, '/users/1/flat')).toEqual(
        ok('{"first_title":"\\u003cb\\u003eNotes\\u003c/b\\u003e \\u0026 sketches","id":1}'),
      );
    });

    it('static data is merged in when a backend fails (strategy incomplete); the answer stays incomplete', async () => {
      expect(await call(port.plain, '/users/1/with-defaults')).toEqual(
        answer(200, [OWN, JSON_TYPE, INCOMPLETE], '{"avatar":"default.png","id":1}'),
      );
    });
  });

  describe('encodings', () => {
    it('negotiate answers JSON without Accept, or to an Accept lura does not offer (application/yaml)', async () => {
      const json = ok('{"id":1,"name":"Ada","tags":["math","engines"]}');
      expect(await call(port.plain, '/users/1/negotiated')).toEqual(json);
      expect(
        await call(port.plain, '/users/1/negotiated', { headers: { Accept: 'application/yaml' } }),
      ).toEqual(json);
    });

    it('negotiate answers YAML to text/plain and application/x-yaml', async () => {
      const yaml = answer(
        200,
        [OWN, ['content-type', 'application/yaml; charset=utf-8'], COMPLETE, CACHED],
        'id: 1\nname: Ada\ntags:\n  - math\n  - engines\n',
      );
      expect(await call(port.plain, '/users/1/negotiated', { headers: { Accept: 'text/plain' } })).toEqual(
        yaml,
      );
      expect(
        await call(port.plain, '/users/1/negotiated', { headers: { Accept: 'application/x-yaml, */*' } }),
      ).toEqual(yaml);
    });

    it('negotiate answers XML (krakend-xml, root <doc>) to application/xml', async () => {
      expect(
        await call(port.plain, '/users/1/negotiated', { headers: { Accept: 'application/xml' } }),
      ).toEqual(
        answer(
          200,
          [OWN, ['content-type', 'application/xml'], COMPLETE, CACHED],
          '<doc><id>1</id><name>Ada</name><tags>math</tags><tags>engines</tags></doc>',
        ),
      );
    });

    it('the xml backend encoding decodes as mxj does: root element as key, -attributes, #text, strings', async () => {
      expect(await call(port.plain, '/catalog')).toEqual(
        ok(
          '{"catalog":{"-id":"c1","book":[{"#text":"Sketches \\u0026 notes","-lang":"en"},{"#text":"Notes","-lang":"fr"}],"count":"2"}}',
        ),
      );
    });

    it("the rss backend encoding decodes the feed into gofeed's model under krakend-rss's keys", async () => {
      const res = await call(port.plain, '/feed');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({
        author: { email: 'ada@example.com', name: 'Ada Lovelace' },
        categories: ['math'],
        copyright: '',
        custom: null,
        description: 'Notes on the analytical engine',
        img_url: 'https://example.com/logo.png',
        items: [
          {
            categories: ['programs'],
            content: '<p>The first program</p>',
            description: 'Bernoulli numbers',
            enclosures: [{ length: '1024', type: 'application/pdf', url: 'https://example.com/g.pdf' }],
            guid: 'g-1',
            link: 'https://example.com/g',
            links: ['https://example.com/g'],
            published: 'Mon, 02 Jan 2006 15:04:05 +0100',
            publishedParsed: '2006-01-02T15:04:05+01:00',
            title: 'Note G',
          },
        ],
        language: 'en',
        published: '',
        title: 'Engine notes',
        type: 'rss',
        updated: '',
      });
    });

    it('the xml output encoding writes the data back as XML', async () => {
      expect(await call(port.plain, '/catalog.xml')).toEqual(
        answer(
          200,
          [OWN, ['content-type', 'application/xml'], COMPLETE, CACHED],
          '<doc id="c1"><book lang="en">Sketches &amp; notes</book><book lang="fr">Notes</book><count>2</count></doc>',
        ),
      );
    });

    it('no-op passes status, every repeated header (two Set-Cookie) and the body through, marked incomplete', async () => {
      expect(await call(port.plain, '/passthrough')).toEqual(
        answer(
          201,
          [
            OWN,
            INCOMPLETE,
            ['content-type', 'text/csv'],
            ['set-cookie', 'session=abc; Path=/'],
            ['set-cookie', 'theme=dark; Path=/'],
            ['x-trace', 'one'],
            ['x-trace', 'two'],
          ],
          'a,b\n1,2\n',
        ),
      );
    });

    it('a no-op backend among several adds no data and its status does not fail the merge', async () => {
      expect(await call(port.plain, '/users/1/with-noop')).toEqual(ok('{"id":1}'));
    });
  });

  describe('sequential proxy and placeholders', () => {
    it('{resp0_field} and nested {resp0_a.b} take earlier answers; arrays are joined with commas', async () => {
      expect(await call(port.plain, '/users/1/summary')).toEqual(
        ok(
          '{"address":{"city":"London","geo":{"lat":51.5,"lng":-0.1},"zip":"N1"},"city":{"path":"/cities/London/51.5"},"name":"Ada","profile":{"path":"/profiles/Ada","query":"?tags=math,engines"},"tags":["math","engines"]}',
        ),
      );
    });

    it('{resp0_list.0.id}: lura stops its walk at the array and reads "id" where it stopped (the root)', async () => {
      expect(await call(port.plain, '/users/1/first-post')).toEqual(
        ok(
          '{"first":{"path":"/posts/1"},"id":1,"posts":[{"id":10,"title":"\\u003cb\\u003eNotes\\u003c/b\\u003e \\u0026 sketches"},{"id":11,"title":"Second"}]}',
        ),
      );
    });

    it("{JWT.claim} in url_pattern takes the validated token's claims; propagate_claims sets headers", async () => {
      expect(await call(port.plain, '/me/orders', { headers: { Authorization: `Bearer ${token}` } })).toEqual(
        ok('{"orders":{"path":"/orders/user%2F42","query":"?tenant=acme","user":"user/42"}}'),
      );
    });

    it('auth/validator refuses a request without a token with 401 and an empty body', async () => {
      expect(await call(port.plain, '/me/orders')).toEqual(answer(401, [], ''));
    });

    it('input_headers and input_query_strings forward only what is listed; a POST body reaches the backend', async () => {
      const res = await call(port.plain, '/echo/a?page=2&secret=1', {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'X-Request-Id': 'r-1', 'X-Secret': 's' },
        body: 'hello',
      });
      expect(res).toEqual(
        answer(
          200,
          [OWN, JSON_TYPE, COMPLETE, CACHED],
          '{"authorization":null,"body":"hello","content_type":"text/plain","method":"POST","path":"/echo/a","query":"?page=2","referer":null,"request_id":"r-1"}',
        ),
      );
      expect(backend.seen.at(-1)?.headers['x-secret']).toBeUndefined();
    });
  });

  describe('failures (lura answers 500 unless the error carries a status)', () => {
    const failed = answer(500, [OWN, INCOMPLETE], '');

    it.each([
      '/unreachable',
      '/status-404',
      '/status-202',
      '/slow',
      '/garbage',
      '/redirect/temporary',
      '/redirect/loop',
    ])('%s: 500, no body, no Content-Type', async (path) => {
      const method = path === '/redirect/temporary' ? 'POST' : 'GET';
      expect(await call(port.plain, path, { method, body: method === 'POST' ? 'x' : undefined })).toEqual(
        failed,
      );
    });

    it("return_error_msg: an unreachable backend is Go's dial error", async () => {
      expect(await call(port.msg, '/unreachable')).toEqual(
        text(
          500,
          `Get "http://127.0.0.1:${refused}/nothing": dial tcp 127.0.0.1:${refused}: connect: connection refused`,
        ),
      );
    });

    it('return_error_msg: a non-2xx status is "invalid status code N [METHOD url_pattern]: url"', async () => {
      expect(await call(port.msg, '/status-404')).toEqual(
        text(500, `invalid status code 404 [GET /status/404]: ${backend.origin}/status/404`),
      );
      expect(await call(port.msg, '/status-202')).toEqual(
        text(500, `invalid status code 202 [GET /status/202]: ${backend.origin}/status/202`),
      );
    });

    it('return_error_msg: the endpoint timeout is "context deadline exceeded"', async () => {
      expect(await call(port.msg, '/slow')).toEqual(text(500, 'context deadline exceeded'));
    });

    it("return_error_msg: a JSON array without is_collection is encoding/json's error", async () => {
      expect(await call(port.msg, '/garbage')).toEqual(
        text(500, 'json: cannot unmarshal array into Go value of type map[string]interface {}'),
      );
    });

    it('return_error_code answers the backend status with an empty body', async () => {
      expect(await call(port.plain, '/status-404/code')).toEqual(answer(404, [OWN, INCOMPLETE], ''));
    });

    it('return_error_code with return_error_msg answers the backend body and its Content-Type', async () => {
      expect(await call(port.msg, '/status-404/code')).toEqual(
        text(404, '{"title":"no such order"}', 'application/problem+json'),
      );
    });

    it('return_error_details adds error_<name> to a 200 answer, incomplete', async () => {
      expect(await call(port.plain, '/status-404/details')).toEqual(
        answer(
          200,
          [OWN, JSON_TYPE, INCOMPLETE],
          '{"error_orders":{"http_body":"{\\"title\\":\\"no such order\\"}","http_body_encoding":"application/problem+json","http_status_code":404},"id":1}',
        ),
      );
    });

    it('a failing backend in a merge leaves a 200 partial answer without Cache-Control', async () => {
      expect(await call(port.plain, '/partial')).toEqual(
        answer(200, [OWN, JSON_TYPE, INCOMPLETE], '{"id":1}'),
      );
    });
  });

  describe('backend redirects (Go net/http client)', () => {
    it('302 is followed with GET', async () => {
      expect(await call(port.plain, '/redirect/found')).toEqual(
        ok(
          '{"address":{"city":"London","geo":{"lat":51.5,"lng":-0.1},"zip":"N1"},"email":"ada@example.com","id":1,"name":"Ada","tags":["math","engines"]}',
        ),
      );
    });

    it('303 after a POST is followed with a GET without body, and a Referer', async () => {
      const res = await call(port.plain, '/redirect/see-other', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":1}',
      });
      expect(JSON.parse(res.body)).toEqual({
        method: 'GET',
        path: '/echo/after-303',
        query: '',
        body: '',
        content_type: 'application/json',
        request_id: null,
        referer: `${backend.origin}/redirect/303`,
        authorization: null,
      });
    });

    it('307 keeps the method; a request body that cannot be replayed stops it (the 307 is a failure)', async () => {
      const res = await call(port.plain, '/redirect/temporary-get');
      expect(JSON.parse(res.body)).toMatchObject({ method: 'GET', path: '/echo/after-307' });
      expect(await call(port.msg, '/redirect/temporary', { method: 'POST', body: 'x' })).toEqual(
        text(500, `invalid status code 307 [POST /redirect/307]: ${backend.origin}/redirect/307`),
      );
    });

    it('a redirect to another port of the same host is followed with the headers (Go compares host names)', async () => {
      const res = await call(port.plain, '/redirect/elsewhere', { headers: { Authorization: 'Bearer t' } });
      expect(backend.seen.at(-2)?.headers.authorization).toBe('Bearer t');
      expect(JSON.parse(res.body)).toMatchObject({
        method: 'GET',
        path: '/echo/elsewhere',
        authorization: 'Bearer t',
        referer: `${backend.origin}/redirect/elsewhere`,
      });
    });

    it('no-op follows a redirect and streams the final answer', async () => {
      const res = await call(port.plain, '/passthrough/moved');
      expect(res.status).toBe(200);
      expect(res.headers).toContainEqual(['content-type', 'application/json']);
      expect(JSON.parse(res.body)).toMatchObject({ id: 1, name: 'Ada' });
    });

    it('no-op gives up after 10 redirects too', async () => {
      const before = backend.seen.length;
      expect(await call(port.msg, '/passthrough/loop')).toEqual(
        text(500, `Get "${backend.origin}/loop/11": stopped after 10 redirects`),
      );
      expect(backend.seen.length - before).toBe(11);
    });

    it('no-op passes on a 307 it cannot follow (a POST body that cannot be replayed)', async () => {
      expect(await call(port.plain, '/passthrough/temporary', { method: 'POST', body: 'x' })).toEqual(
        answer(307, [OWN, INCOMPLETE, ['location', '/echo/after-307']], ''),
      );
    });

    it("gives up after 10 redirects with Go's error text", async () => {
      const before = backend.seen.length;
      expect(await call(port.msg, '/redirect/loop')).toEqual(
        text(500, `Get "${backend.origin}/loop/11": stopped after 10 redirects`),
      );
      expect(backend.seen.length - before).toBe(11);
    });
  });

  describe('router (gin as lura configures it)', () => {
    it('an unknown path: 404 "404 page not found", text/plain, X-Krakend-Completed: false', async () => {
      expect(await call(port.plain, '/nowhere')).toEqual(
        answer(404, [INCOMPLETE, ['content-type', 'text/plain']], '404 page not found'),
      );
    });

    it('a known path with another method: 405 with Allow, and no completion header', async () => {
      expect(await call(port.plain, '/users/1', { method: 'DELETE' })).toEqual(
        answer(
          405,
          [
            ['allow', 'GET'],
            ['content-type', 'text/plain'],
          ],
          '405 method not allowed',
        ),
      );
    });

    it('a missing trailing slash: 301 for GET with the HTML body of http.Redirect (html-escaped), query kept', async () => {
      expect(await call(port.plain, '/trailing?x=1&y=2')).toEqual(
        answer(
          301,
          [
            ['content-type', 'text/html; charset=utf-8'],
            ['location', '/trailing/?x=1&y=2'],
          ],
          '<a href="/trailing/?x=1&amp;y=2">Moved Permanently</a>.\n\n',
        ),
      );
    });

    it('an extra trailing slash on a POST: 307 without body', async () => {
      expect(await call(port.plain, '/users/1/', {})).toEqual(
        answer(
          301,
          [
            ['content-type', 'text/html; charset=utf-8'],
            ['location', '/users/1'],
          ],
          '<a href="/users/1">Moved Permanently</a>.\n\n',
        ),
      );
      expect(await call(port.plain, '/trailing', { method: 'POST' })).toEqual(
        answer(307, [['location', '/trailing/']], ''),
      );
    });

    it('RedirectFixedPath: a path in another letter case, or with // and .., is redirected to the route', async () => {
      expect(await call(port.plain, '/docs/index')).toEqual(
        answer(
          301,
          [
            ['content-type', 'text/html; charset=utf-8'],
            ['location', '/Docs/Index'],
          ],
          '<a href="/Docs/Index">Moved Permanently</a>.\n\n',
        ),
      );
      expect((await call(port.plain, '/users//x/../1')).headers).toContainEqual(['location', '/users/1']);
    });

    it('a redirect Location is the escaped path (Go URL.EscapedPath): /\\host goes out as /%5Chost, never as another host', async () => {
      expect(await call(port.plain, '/\\evil.com', { method: 'POST' })).toEqual(
        answer(307, [['location', '/%5Cevil.com/']], ''),
      );
      expect(await call(port.plain, '/a%20b\\"<c>', { method: 'POST' })).toEqual(
        answer(307, [['location', '/a%20b%5C%22%3Cc%3E/']], ''),
      );
    });

    it('/__health answers the KrakenD body', async () => {
      const res = await call(port.plain, '/__health');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ agents: {}, status: 'ok' });
    });
  });
});
