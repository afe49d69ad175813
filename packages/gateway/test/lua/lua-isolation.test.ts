import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'swy-lua-iso-'));
const file = relative(process.cwd(), join(dir, 'remember.lua'));
// Functions a source defines keep reading the globals of the request that defined them.
writeFileSync(file, 'function remember(v) saved = v end\nfunction recall() return saved end\n');

const lua = (cfg: Record<string, unknown>) => ({ 'modifier/lua-proxy': cfg });

describe('modifier/lua-* keeps requests apart', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  // The backend holds the first request of /pair until the second arrives: both are between pre and post.
  let held: ServerResponse[] = [];
  let hold: ServerResponse | null = null;
  let config: Parameters<typeof startGateway>[0];

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      if (req.url === '/hold') {
        hold = res;
        return;
      }
      if (!req.url?.startsWith('/pair')) return json(res, { ok: true });
      held.push(res);
      if (held.length < 2) return;
      for (const r of held) json(r, { ok: true });
      held = [];
    });
    config = {
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/pair',
          timeout: '10s',
          input_headers: ['X-In'],
          extra_config: lua({
            sources: [file],
            pre: 'remember(request.load():headers("X-In"))',
            post: 'response.load():data():set("recalled", recall())',
          }),
          backend: [{ url_pattern: '/pair' }],
        },
        {
          endpoint: '/hold',
          timeout: '10s',
          input_headers: ['X-In'],
          extra_config: lua({
            pre: 'kept = request.load():headers("X-In")',
            post: 'response.load():data():set("kept", kept)',
          }),
          backend: [{ url_pattern: '/hold' }],
        },
        {
          endpoint: '/string-meta',
          extra_config: lua({
            pre: `local mt = getmetatable("")
              if type(mt) == "table" and type(mt.__index) == "table" then
                if mt.__index.seen then custom_error("leaked", 409) end
                mt.__index.seen = true
              end`,
          }),
          backend: [{ url_pattern: '/x' }],
        },
        {
          endpoint: '/handle-meta',
          extra_config: lua({
            pre: `local mt = getmetatable(request.load())
              if type(mt) == "table" and type(mt.__index) == "table" then
                if mt.__index.seen then custom_error("leaked", 409) end
                mt.__index.seen = true
              end`,
          }),
          backend: [{ url_pattern: '/x' }],
        },
      ],
    };
    gw = await startGateway(config);
    // The Lua thread starts with the first script: not within the pair's time.
    await send(gw.port, '/string-meta');
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('a function from sources reads its own request globals while another request runs', async () => {
    let settled = false;
    const first = send(gw.port, '/pair', { headers: { 'X-In': 'first' } }).finally(() => {
      settled = true;
    });
    // sent once the first is at the backend, so its pre runs between the first's pre and post
    while (held.length === 0 && !settled) await new Promise((r) => setImmediate(r));
    const [a, b] = await Promise.all([first, send(gw.port, '/pair', { headers: { 'X-In': 'second' } })]);
    expect(JSON.parse(a.body).recalled).toBe('first');
    expect(JSON.parse(b.body).recalled).toBe('second');
  });

  it('a reload while a request waits between pre and post keeps its environment for the post', async () => {
    const answer = send(gw.port, '/hold', { headers: { 'X-In': 'before reload' } });
    while (hold === null) await new Promise((r) => setImmediate(r));
    gw.gateway.reload({ version: 3, ...config });
    // the reloaded endpoint's own script runs meanwhile
    expect((await send(gw.port, '/string-meta')).status).toBe(200);
    json(hold, { ok: true });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).kept).toBe('before reload');
  });

  it('the string metatable is no way to keep state from one request to the next', async () => {
    expect((await send(gw.port, '/string-meta')).status).toBe(200);
    expect((await send(gw.port, '/string-meta')).status).toBe(200);
  });

  it('the metatable of request, response and ctx objects is no way to keep state either', async () => {
    expect((await send(gw.port, '/handle-meta')).status).toBe(200);
    expect((await send(gw.port, '/handle-meta')).status).toBe(200);
  });
});
