import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'swy-lua-'));
// krakend-lua reads sources relative to the working directory.
const file = relative(process.cwd(), join(dir, 'lib.lua'));
const LIB = 'function tag(r, v) r:headers("X-Tag", v) end\nfunction double(n) return n * 2 end\n';
writeFileSync(file, LIB);
const md5 = createHash('md5').update(LIB).digest('hex');

const lua = (ns: string, cfg: Record<string, unknown>) => ({ [`modifier/lua-${ns}`]: cfg });

describe('modifier/lua-*', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) =>
      json(res, { path: req.url, tag: req.headers['x-tag'] ?? null, user: { id: 7, roles: ['a', 'b'] } }),
    );
    const endpoint = (
      path: string,
      extra: Record<string, unknown>,
      backendExtra?: Record<string, unknown>,
    ) => ({
      endpoint: path,
      // a loaded machine may take seconds to replace the Lua thread the pattern test stops
      timeout: '10s',
      input_headers: ['X-Tag', 'X-In'],
      input_query_strings: ['q'],
      extra_config: extra,
      backend: [{ url_pattern: '/b/{id}', ...(backendExtra ? { extra_config: backendExtra } : {}) }],
    });
    gw = await startGateway({
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        endpoint(
          '/pre/{id}',
          lua('proxy', {
            sources: [file],
            md5: { [file]: md5 },
            pre: 'local r = request.load(); tag(r, "from-lua"); r:params("Id", tostring(double(tonumber(r:params("Id")))))',
          }),
        ),
        endpoint(
          '/post/{id}',
          lua('proxy', {
            post: `local d = response.load():data()
              d:set("answer", 42)
              d:get("user"):set("name", "ann")
              local roles = d:get("user"):get("roles")
              roles:set(roles:len(), "c")
              d:del("path")
              response.load():headers("X-From-Lua", "yes")`,
          }),
        ),
        endpoint('/custom/{id}', lua('proxy', { pre: 'custom_error("go away", 418, "text/teapot")' })),
        endpoint('/plain-error/{id}', lua('proxy', { pre: 'custom_error("no status")' })),
        endpoint('/broken/{id}', lua('proxy', { pre: 'local x = nil; x.y = 1' })),
        endpoint('/loop/{id}', lua('proxy', { pre: 'while true do end' })),
        endpoint(
          '/pcall-loop/{id}',
          lua('proxy', { pre: 'while true do pcall(function() while true do end end) end' }),
        ),
        endpoint(
          '/alloc/{id}',
          lua('proxy', { pre: 'local t = {} local s = "x" while true do s = s .. s; t[#t + 1] = s end' }),
        ),
        // Backtracks inside Lua's C pattern matcher, where the VM's instruction hook never runs.
        endpoint(
          '/pattern/{id}',
          lua('proxy', { pre: 'string.find(string.rep("a", 40), string.rep("a*", 40) .. "b")' }),
        ),
        endpoint('/plain/{id}', {}),
        endpoint(
          '/bad-headers/{id}',
          lua('proxy', {
            post: `local r = response.load()
              r:headers("X-Split", "a\\r\\nSet-Cookie: x=1")
              r:headers("X Bad", "v")
              r:headers("X-Utf8", "é")
              r:headers("Transfer-Encoding", "chunked")
              r:headers("Content-Length", "1")`,
          }),
        ),
        endpoint('/io/{id}', lua('proxy', { pre: 'io.open("/etc/passwd")' })),
        endpoint(
          '/globals/{id}',
          lua('proxy', { pre: 'if seen then custom_error("leaked", 409) end seen = true' }),
        ),
        endpoint(
          '/skip/{id}',
          lua('proxy', { skip_next: true, post: 'response.load():data():set("skipped", true)' }),
        ),
        endpoint(
          '/backend/{id}',
          {},
          lua('backend', {
            pre: 'local r = request.load(); r:headers("X-Tag", r:headers("X-In") .. "!"); r:query("q=changed")',
            post: 'local d = response.load():data(); d:set("seen_by_backend_script", d:get("tag"))',
          }),
        ),
        endpoint(
          '/router/{id}',
          lua('endpoint', {
            pre: `local c = ctx.load()
            if c:headers("X-Deny") ~= "" then custom_error("denied", 403, "application/problem+json") end
            c:params("id", "r" .. c:params("id"))
            c:headers("X-Tag", c:method() .. " " .. c:url())`,
          }),
        ),
        endpoint('/router-error/{id}', lua('endpoint', { pre: 'error("boom")' })),
        endpoint('/bad-md5/{id}', lua('proxy', { sources: [file], md5: { [file]: '0'.repeat(32) } })),
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('runs sources (checked by md5) and pre, whose header and param changes reach the backend', async () => {
    const r = await send(gw.port, '/pre/21');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ path: '/b/42', tag: 'from-lua' });
  });

  it('post edits nested response data in place and sets a response header', async () => {
    const r = await send(gw.port, '/post/1');
    expect(r.status).toBe(200);
    expect(r.headers['x-from-lua']).toBe('yes');
    expect(JSON.parse(r.body)).toEqual({
      tag: null,
      answer: 42,
      user: { id: 7, name: 'ann', roles: ['a', 'b', 'c'] },
    });
  });

  it('custom_error answers its status, content type and message (return_error_msg)', async () => {
    const r = await send(gw.port, '/custom/1');
    expect(r.status).toBe(418);
    expect(r.headers['content-type']).toBe('text/teapot');
    expect(r.body).toBe('go away');
  });

  it('custom_error without status and a script error answer 500', async () => {
    const plain = await send(gw.port, '/plain-error/1');
    expect(plain.status).toBe(500);
    expect(plain.body).toBe('no status');
    const broken = await send(gw.port, '/broken/1');
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("attempt to index a nil value (local 'x')");
  });

  it('stops a runaway loop, one hiding in pcall, and unbounded allocation; the gateway keeps serving', async () => {
    for (const path of ['/loop/1', '/pcall-loop/1']) {
      const r = await send(gw.port, path);
      expect(r.status).toBe(500);
      expect(r.body).toBe('lua: script exceeded its time budget of 250ms');
    }
    const alloc = await send(gw.port, '/alloc/1');
    expect(alloc.status).toBe(500);
    expect(alloc.body).toMatch(/^lua: script exceeded its (memory|time) budget/);
    expect((await send(gw.port, '/post/1')).status).toBe(200);
  });

  it('stops a pattern that backtracks without end inside the C matcher; the gateway keeps serving', async () => {
    // Scripts run on their own thread: an endpoint without one is answered while the pattern runs.
    const [stuck, other] = await Promise.all([send(gw.port, '/pattern/1'), send(gw.port, '/plain/1')]);
    expect(stuck.status).toBe(500);
    expect(stuck.body).toBe('lua: script exceeded its time budget of 250ms');
    expect(other.status).toBe(200);
    expect((await send(gw.port, '/pre/21')).status).toBe(200);
  });

  it('writes script response headers as Go does: CR/LF as spaces; bad names and values, and framing, left out', async () => {
    const r = await send(gw.port, '/bad-headers/1');
    expect(r.status).toBe(200);
    expect(r.headers['x-split']).toBe('a  Set-Cookie: x=1');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['x bad']).toBeUndefined();
    expect(r.headers['x-utf8']).toBeUndefined();
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(JSON.parse(r.body)).toMatchObject({ path: '/b/1' });
  });

  it('gives no io without allow_open_libs', async () => {
    const r = await send(gw.port, '/io/1');
    expect(r.status).toBe(500);
    expect(r.body).toContain("attempt to index a nil value (global 'io')");
  });

  it('keeps no global from one request to the next', async () => {
    expect((await send(gw.port, '/globals/1')).status).toBe(200);
    expect((await send(gw.port, '/globals/1')).status).toBe(200);
  });

  it('skip_next answers from post without calling the backend', async () => {
    const before = backend.received.length;
    const r = await send(gw.port, '/skip/1');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ skipped: true });
    expect(backend.received.length).toBe(before);
  });

  it('lua-backend changes the backend request and reads its response', async () => {
    const r = await send(gw.port, '/backend/5?q=orig', { headers: { 'X-In': 'hi' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      path: '/b/5?q=changed',
      tag: 'hi!',
      seen_by_backend_script: 'hi!',
    });
  });

  it('lua-endpoint changes the request before the endpoint, or aborts it with its status', async () => {
    const r = await send(gw.port, '/router/9?a=1');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ path: '/b/r9', tag: 'GET /router/9?a=1' });
    const denied = await send(gw.port, '/router/9', { headers: { 'X-Deny': '1' } });
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toBe('application/problem+json');
    expect(denied.body).toBe('');
    expect((await send(gw.port, '/router-error/1')).status).toBe(500);
  });

  it('a source whose md5 does not match leaves the endpoint unserved (500)', async () => {
    const r = await send(gw.port, '/bad-md5/1');
    expect(r.status).toBe(500);
  });
});
