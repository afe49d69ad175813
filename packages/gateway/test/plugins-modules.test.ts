import { fileURLToPath } from 'node:url';
import { validateGatewayConfig } from '@switchyard/config';
import { definePlugin, loadPlugins, type PluginRegistry } from '@switchyard/gateway';
import { isSwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestConfig, type TestGateway } from './support/gateway.js';
import { capturingLogger } from './support/logs.js';

const examples = fileURLToPath(new URL('../../../examples/plugins/', import.meta.url));
const fixtures = fileURLToPath(new URL('./support/plugins/', import.meta.url));

describe('plugin modules: loading', () => {
  it('loads every module of the folder whose name contains the pattern', async () => {
    const all = await loadPlugins({ folder: examples, pattern: '.mjs' });
    expect(all.failures).toEqual([]);
    expect(all.modules.map((m) => m.file.slice(examples.length))).toEqual([
      'client-headers.mjs',
      'modifiers.mjs',
      'server-hello.mjs',
    ]);
    expect([...all.server.keys(), ...all.client.keys()]).toEqual(['hello-server', 'client-headers']);
    expect([...all.request.keys(), ...all.response.keys()]).toEqual(['require-header', 'add-fields']);
    const some = await loadPlugins({ folder: examples, pattern: 'server' });
    expect(some.modules.map((m) => m.file.slice(examples.length))).toEqual(['server-hello.mjs']);
  });

  it('reports each module that fails, with its file, and loads the others', async () => {
    const r = await loadPlugins({ folder: fixtures });
    expect(r.modules.map((m) => m.file.slice(fixtures.length))).toEqual(['misbehaving.mjs']);
    expect(r.failures.map((f) => [f.file.slice(fixtures.length), f.error.code])).toEqual([
      ['broken-import.mjs', 'SWY_PLUGIN_LOAD'],
      ['no-plugins.mjs', 'SWY_PLUGIN_LOAD'],
    ]);
    expect(r.failures[0]?.error.message).toBe(
      `plugin module ${fixtures}broken-import.mjs: cannot be imported: this module cannot start`,
    );
    expect(r.failures[1]?.error.message).toBe(
      `plugin module ${fixtures}no-plugins.mjs: the default export has type "teapot" (expected one of http-server, http-client, request-modifier, response-modifier)`,
    );
  });

  it('reports a module whose import never finishes (top-level await) and loads the others', async () => {
    const slow = fileURLToPath(new URL('./support/plugins-slow/', import.meta.url));
    const r = await loadPlugins({ folder: slow }, undefined, { timeoutMs: 50 });
    expect(r.modules.map((m) => m.file.slice(slow.length))).toEqual(['quick.mjs']);
    expect(r.failures.map((f) => [f.file.slice(slow.length), f.error.code])).toEqual([
      ['hangs.mjs', 'SWY_PLUGIN_LOAD'],
    ]);
    expect(r.failures[0]?.error.message).toBe(
      `plugin module ${slow}hangs.mjs: did not finish loading within 50 ms`,
    );
  });

  it('reports a folder that cannot be read', async () => {
    const r = await loadPlugins({ folder: `${fixtures}missing` });
    expect(r.modules).toEqual([]);
    expect(isSwitchyardError(r.failures[0]?.error, 'SWY_PLUGIN_LOAD')).toBe(true);
  });
});

describe('plugin modules: the examples in a gateway', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let verbose: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) =>
      json(res, { path: req.url, tenant: req.headers['x-checked-tenant'] ?? null }),
    );
    const plugins = await loadPlugins({ folder: examples, pattern: '.mjs' });
    const config = (returnErrorMsg: boolean): TestConfig => ({
      host: [backend.origin],
      extra_config: {
        'plugin/http-server': { name: ['hello-server'], 'hello-server': { path: '/__hello', message: 'hi' } },
        ...(returnErrorMsg && { router: { return_error_msg: true } }),
      },
      endpoints: [
        {
          endpoint: '/tenants/{id}',
          input_headers: ['X-Tenant', 'X-Checked-Tenant'],
          extra_config: {
            'plugin/req-resp-modifier': {
              name: ['require-header', 'add-fields'],
              'require-header': { header: 'X-Tenant', status: 403 },
              'add-fields': { fields: { source: 'gateway' } },
            },
          },
          backend: [{ url_pattern: '/t/{id}' }],
        },
        {
          endpoint: '/keyed',
          backend: [
            {
              url_pattern: '/keyed',
              extra_config: {
                'plugin/http-client': {
                  name: 'client-headers',
                  'client-headers': { headers: { 'X-Api-Key': 'k1' } },
                },
              },
            },
          ],
        },
        {
          endpoint: '/backend-modifier',
          backend: [
            {
              url_pattern: '/bm',
              extra_config: {
                'plugin/req-resp-modifier': {
                  name: ['add-fields'],
                  'add-fields': { fields: { at: 'backend' } },
                },
              },
            },
          ],
        },
      ],
    });
    gw = await startGateway(config(false), { plugins });
    verbose = await startGateway(config(true), { plugins });
  });

  afterAll(async () => {
    await gw.close();
    await verbose.close();
    await backend.close();
  });

  it('a server plugin answers its own path and wraps every other request', async () => {
    const own = await send(gw.port, '/__hello');
    expect(own.status).toBe(200);
    expect(own.headers['content-type']).toBe('application/json');
    expect(JSON.parse(own.body)).toEqual({ message: 'hi' });
    const passed = await send(gw.port, '/backend-modifier');
    expect(passed.status).toBe(200);
    expect(passed.headers['x-hello-server']).toBe('passed');
    expect(passed.headers['x-krakend-completed']).toBe('true');
  });

  it('request and response modifiers change what the backend gets and what the client gets', async () => {
    const a = await send(gw.port, '/tenants/7', { headers: { 'X-Tenant': 'acme' } });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ path: '/t/7', tenant: 'acme', source: 'gateway' });
    expect(backend.received.at(-1)?.headers['x-checked-tenant']).toBe('acme');
  });

  it("a PluginResponseError chooses the status; its body and type only with return_error_msg, as KrakenD's", async () => {
    const before = backend.received.length;
    const quiet = await send(gw.port, '/tenants/7');
    expect(quiet.status).toBe(403);
    expect(quiet.body).toBe('');
    expect(quiet.headers['x-krakend-completed']).toBe('false');
    const told = await send(verbose.port, '/tenants/7');
    expect(told.status).toBe(403);
    expect(told.headers['content-type']).toBe('application/json');
    expect(JSON.parse(told.body)).toEqual({ error: 'X-Tenant is required' });
    expect(backend.received.length).toBe(before);
  });

  it('a client plugin makes the backend call: the real backend gets its headers, the answer is decoded', async () => {
    const a = await send(gw.port, '/keyed?x=1');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ path: '/keyed', tenant: null });
    expect(backend.received.at(-1)?.headers['x-api-key']).toBe('k1');
    expect(backend.received.at(-1)?.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
  });

  it("a backend-level response modifier changes that backend's data", async () => {
    const a = await send(gw.port, '/backend-modifier');
    expect(JSON.parse(a.body)).toEqual({ path: '/bm', tenant: null, at: 'backend' });
  });
});

describe('plugin modules: failures', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let verbose: TestGateway;
  let plugins: PluginRegistry;

  const ep = (
    path: string,
    modifiers: string[] | null,
    client?: string,
    extra?: Record<string, unknown>,
  ) => ({
    endpoint: path,
    timeout: '300ms',
    ...(modifiers && { extra_config: { 'plugin/req-resp-modifier': { name: modifiers } } }),
    backend: [
      {
        url_pattern: '/ok',
        extra_config: {
          ...(client && { 'plugin/http-client': { name: client, [client]: { k: 'v' } } }),
          ...extra,
        },
      },
    ],
  });

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    plugins = await loadPlugins({ folder: fixtures });
    const config = (returnErrorMsg: boolean): TestConfig => ({
      host: [backend.origin],
      timeout: '300ms',
      extra_config: {
        'plugin/http-server': { name: ['server-throws', 'server-rejects', 'server-hangs', 'not-loaded'] },
        ...(returnErrorMsg && { router: { return_error_msg: true } }),
      },
      endpoints: [
        ep('/ok', null),
        ep('/throws', ['throws']),
        ep('/hangs', ['hangs']),
        ep('/status', ['rejects-status']),
        ep('/bad-result', ['bad-result']),
        ep('/create-throws', ['create-throws']),
        ep('/unknown', ['from-broken-module']),
        ep('/client-throws', null, 'client-throws'),
        ep('/client-hangs', null, 'client-hangs'),
        ep('/client-status', null, 'client-status'),
        ep('/client-status-forwarded', null, 'client-status', {
          'backend/http': { return_error_code: true },
        }),
        ep('/client-json', null, 'client-json'),
        ep('/client-unknown', null, 'nowhere'),
      ],
    });
    gw = await startGateway(config(false), { plugins });
    verbose = await startGateway(config(true), { plugins });
  });

  afterAll(async () => {
    await gw.close();
    await verbose.close();
    await backend.close();
  });

  const status = async (path: string, port = gw.port) => (await send(port, path)).status;

  it('a modifier that throws is answered 500; with return_error_msg its text is the body', async () => {
    expect(await send(gw.port, '/throws')).toMatchObject({ status: 500, body: '' });
    const told = await send(verbose.port, '/throws');
    expect(told).toMatchObject({ status: 500, body: 'boom' });
    expect(told.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await status('/ok')).toBe(200);
  });

  it('a modifier that never settles is stopped by the endpoint timeout and the gateway keeps serving', async () => {
    const [hung, ok] = await Promise.all([send(gw.port, '/hangs'), send(gw.port, '/ok')]);
    expect(hung.status).toBe(500);
    expect(ok.status).toBe(200);
    expect((await send(verbose.port, '/hangs')).body).toBe('context deadline exceeded');
  });

  it("an async modifier's rejection with a statusCode chooses the status", async () => {
    expect(await status('/status')).toBe(418);
  });

  it('a modifier that returns something other than a response is answered 500', async () => {
    expect(await send(verbose.port, '/bad-result')).toMatchObject({
      status: 500,
      body: 'plugin "bad-result" returned something that is not a response (data object, isComplete)',
    });
  });

  it('an endpoint whose plugin cannot be created, or is not loaded, answers 500; the others are served', async () => {
    expect(await send(gw.port, '/create-throws')).toMatchObject({ status: 500, body: '' });
    expect(await status('/unknown')).toBe(500);
    expect(await status('/client-unknown')).toBe(500);
    expect(await status('/ok')).toBe(200);
  });

  it('a client plugin that throws or hangs is a failed backend call (500)', async () => {
    expect(await send(verbose.port, '/client-throws')).toMatchObject({ status: 500, body: 'client boom' });
    expect(await send(verbose.port, '/client-hangs')).toMatchObject({
      status: 500,
      body: 'context deadline exceeded',
    });
  });

  it("a client plugin's answer is checked as a backend's: its status, return_error_code, decoding", async () => {
    expect(await send(gw.port, '/client-status')).toMatchObject({ status: 500, body: '' });
    const fwd = await send(gw.port, '/client-status-forwarded');
    expect(fwd.status).toBe(404);
    expect(fwd.body).toBe('');
    const told = await send(verbose.port, '/client-status-forwarded');
    expect(told).toMatchObject({ status: 404, body: '{"nope":true}' });
    expect(told.headers['content-type']).toBe('application/json');
    const a = await send(gw.port, '/client-json');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ url: `${backend.origin}/ok`, method: 'GET', config: { k: 'v' } });
  });

  it('a server plugin that throws, rejects or hangs gets a 500; unknown names are skipped', async () => {
    expect(await send(gw.port, '/__throw')).toMatchObject({ status: 500, body: '' });
    expect(await send(gw.port, '/__reject')).toMatchObject({ status: 500, body: '' });
    expect(await send(gw.port, '/__hang')).toMatchObject({ status: 500, body: '' });
    expect(await status('/ok')).toBe(200);
  });

  it("logs a server plugin's failure with the request's path, never its query (it may carry a token)", async () => {
    const { logger, lines } = capturingLogger();
    const g = await startGateway(
      {
        host: [backend.origin],
        timeout: '300ms',
        extra_config: { 'plugin/http-server': { name: ['server-throws', 'server-hangs'] } },
        endpoints: [ep('/ok', null)],
      },
      { plugins, logger },
    );
    try {
      expect((await send(g.port, '/__throw?access_token=q-secret-1')).status).toBe(500);
      expect((await send(g.port, '/__hang?access_token=q-secret-2')).status).toBe(500);
    } finally {
      await g.close();
    }
    const failures = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.plugin || l.namespace);
    expect(failures.map((l) => [l.msg, l.path])).toEqual(
      expect.arrayContaining([
        ['a server plugin threw', '/__throw'],
        ['a server plugin did not answer in time', '/__hang'],
      ]),
    );
    expect(lines.join('')).not.toContain('q-secret');
  });

  it('closes promptly after requests the server plugins answered themselves', async () => {
    const g = await startGateway(
      {
        host: [backend.origin],
        timeout: '300ms',
        extra_config: { 'plugin/http-server': { name: 'server-throws' } },
        endpoints: [ep('/ok', null)],
      },
      { plugins },
    );
    expect(await send(g.port, '/__throw')).toMatchObject({ status: 500 });
    let closed = false;
    const closing = g.close().then(() => {
      closed = true;
    });
    // Closing waits for requests in flight: one answered by a plugin is not left counted as one.
    await Promise.race([closing, new Promise((r) => setTimeout(r, 2000))]);
    expect(closed).toBe(true);
  });
});

describe('plugin modules: the typed API', () => {
  it('a TypeScript modifier reads and rewrites params (keyed as KrakenD keys them), query and body', async () => {
    const rewrite = definePlugin({
      type: 'request-modifier',
      name: 'rewrite',
      create:
        ({ config }) =>
        (req) => {
          req.params.Id = `${req.params.Id}-${(config as { suffix: string }).suffix}`;
          req.query.set('added', req.method);
          req.body = Buffer.from(JSON.stringify({ got: req.body?.toString() ?? null }));
          return req;
        },
    });
    const registry: PluginRegistry = {
      server: new Map(),
      client: new Map(),
      request: new Map([[rewrite.name, rewrite]]),
      response: new Map(),
      modules: [],
      failures: [],
    };
    const backend = await startBackend((req, res, body) => json(res, { path: req.url, body }));
    const g = await startGateway(
      {
        host: [backend.origin],
        endpoints: [
          {
            endpoint: '/items/{id}',
            method: 'POST',
            input_query_strings: ['q', 'added'],
            extra_config: { 'plugin/req-resp-modifier': { name: ['rewrite'], rewrite: { suffix: 'x' } } },
            backend: [{ url_pattern: '/backend/{id}' }],
          },
        ],
      },
      { plugins: registry },
    );
    const a = await send(g.port, '/items/7?q=1', { method: 'POST', body: 'hello' });
    await g.close();
    await backend.close();
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ path: '/backend/7-x?added=POST&q=1', body: '{"got":"hello"}' });
  });
});

describe('plugin modules: configuration', () => {
  const source = `{
  "version": 3,
  "plugin": { "folder": "./plugins", "pattern": ".mjs" },
  "extra_config": { "plugin/http-server": { "name": ["hello-server"] } },
  "endpoints": [
    {
      "endpoint": "/a",
      "extra_config": { "plugin/req-resp-modifier": { "name": "add-fields" } },
      "backend": [{ "url_pattern": "/a", "host": ["http://127.0.0.1:1"],
        "extra_config": { "plugin/http-client": { "name": { "not": "a name" } } } }]
    }
  ]
}`;

  it('reads the plugin key and namespaces; a name that cannot be read leaves the endpoint unserved (500)', async () => {
    const loaded = validateGatewayConfig(JSON.parse(source), { file: 'gw.json', source });
    expect(loaded.config.plugin).toEqual({ folder: './plugins', pattern: '.mjs' });
    const lines = loaded.warnings.map((w) => `${w.line}:${w.column} ${w.pointer} ${w.message}`);
    expect(lines).toContainEqual(
      expect.stringMatching(/^10:\d+ \/endpoints\/0\/backend\/0\/extra_config\/plugin~1http-client\/name /),
    );
    expect(loaded.config.endpoints?.[0]?.unserved).toContain(
      'the settings of "plugin/http-client" cannot be read',
    );
    const g = await startGateway(loaded.config);
    expect((await send(g.port, '/a')).status).toBe(500);
    await g.close();
  });
});
