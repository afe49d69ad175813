import { formatDiagnostic, validateGatewayConfig } from '@switchyard/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { celNow } from '../../src/validation/cel/cel.js';
import { routes, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** Nested comprehensions over literal lists: 20^6 steps, far beyond any budget, in a few bytes. */
const list = `[${Array.from({ length: 20 }, (_, i) => i).join(',')}]`;
const RUNAWAY = `req_method == 'GET' && ${list}.map(a, ${list}.map(b, ${list}.map(c, ${list}.map(d, ${list}.map(e, ${list}.map(f, a + b + c + d + e + f)))))).size() == 20`;

describe('validation/cel', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let quiet: TestGateway;

  const endpoints = [
    {
      endpoint: '/users/{id}',
      backend: [{ url_pattern: '/user' }],
      extra_config: {
        'validation/cel': [
          { check_expr: "req_method == 'GET' && req_params.Id != '0' && req_path.startsWith('/users/')" },
          { check_expr: "!('X-Role' in req_headers) || req_headers['X-Role'][0] == 'admin'" },
          { check_expr: '!has(req_querystring.deny) || size(req_querystring.deny) == 0' },
        ],
      },
    },
    {
      endpoint: '/account/{state}',
      backend: [{ url_pattern: '/account/{state}' }],
      extra_config: {
        'validation/cel': [
          { check_expr: "has(resp_data.status) && resp_data.status == 'active' && resp_completed" },
          { check_expr: "timestamp(now) > timestamp('2020-01-01T00:00:00Z')" },
        ],
      },
    },
    {
      endpoint: '/merged/{state}',
      backend: [
        { url_pattern: '/user', group: 'user' },
        {
          url_pattern: '/account/{state}',
          group: 'account',
          // As in KrakenD, a backend's data is seen after its own group/target/mapping.
          extra_config: { 'validation/cel': [{ check_expr: "resp_data.account.status == 'active'" }] },
        },
      ],
    },
    {
      endpoint: '/orders/{id}',
      backend: [
        {
          url_pattern: '/order/{id}',
          method: 'POST',
          // lura's backend request: the backend's method and its url_pattern filled, not the client's.
          extra_config: {
            'validation/cel': [
              { check_expr: "req_method == 'POST' && req_path == '/order/' + req_params.Id" },
            ],
          },
        },
      ],
    },
    {
      endpoint: '/client-path/{id}',
      backend: [
        {
          url_pattern: '/order/{id}',
          extra_config: { 'validation/cel': [{ check_expr: "req_path == '/client-path/' + req_params.Id" }] },
        },
      ],
    },
    {
      endpoint: '/runaway',
      backend: [{ url_pattern: '/user' }],
      extra_config: { 'validation/cel': [{ check_expr: RUNAWAY }] },
    },
    {
      endpoint: '/unparsable',
      backend: [{ url_pattern: '/user' }],
      extra_config: { 'validation/cel': [{ check_expr: 'req_method ==' }] },
    },
    {
      endpoint: '/untyped',
      backend: [{ url_pattern: '/user' }],
      extra_config: { 'validation/cel': [{ check_expr: 'req_method + 1 == 2' }] },
    },
    { endpoint: '/plain', backend: [{ url_pattern: '/user' }] },
  ];

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/user': { name: 'ada' },
        '/account/active': { status: 'active' },
        '/account/closed': { status: 'closed' },
        '/order/7': { order: 7 },
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true } },
      endpoints,
    });
    quiet = await startGateway({ host: [backend.origin], endpoints });
  });

  afterAll(async () => {
    await gw.close();
    await quiet.close();
    await backend.close();
  });

  const calls = (path: string) => backend.received.filter((r) => r.url === path).length;

  it('lets a request through when every req_ expression is true', async () => {
    const a = await send(gw.port, '/users/7?page=2', { headers: { 'x-role': 'admin' } });
    expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: '{"name":"ada"}' });
  });

  it('aborts with 500 "request aborted by evaluator #N" before any backend call when one is false', async () => {
    const before = calls('/user');
    const byParam = await send(gw.port, '/users/0');
    expect(byParam.status).toBe(500);
    expect(byParam.body).toBe('request aborted by evaluator #0');
    expect(byParam.headers['x-krakend-completed']).toBe('false');
    const byHeader = await send(gw.port, '/users/7', { headers: { 'X-Role': 'guest' } });
    expect(byHeader.body).toBe('request aborted by evaluator #1');
    const byQuery = await send(gw.port, '/users/7?deny=1');
    expect(byQuery.body).toBe('request aborted by evaluator #2');
    expect(calls('/user')).toBe(before);
    const silent = await send(quiet.port, '/users/0');
    expect(silent.status).toBe(500);
    expect(silent.body).toBe('');
  });

  it('checks resp_ expressions on the data the backend returned', async () => {
    const ok = await send(gw.port, '/account/active');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ status: 'active' });
    const refused = await send(gw.port, '/account/closed');
    expect(refused.status).toBe(500);
    expect(refused.body).toBe('request aborted by evaluator #0');
  });

  it('at backend level, a false expression drops that backend: the answer is partial', async () => {
    const whole = await send(gw.port, '/merged/active');
    expect(whole.status).toBe(200);
    expect(whole.headers['x-krakend-completed']).toBe('true');
    expect(JSON.parse(whole.body)).toEqual({ user: { name: 'ada' }, account: { status: 'active' } });
    const partial = await send(gw.port, '/merged/closed');
    expect(partial.status).toBe(200);
    expect(partial.headers['x-krakend-completed']).toBe('false');
    expect(JSON.parse(partial.body)).toEqual({ user: { name: 'ada' } });
  });

  it("at backend level, req_path and req_method are the backend request's (url_pattern filled, its method)", async () => {
    const ok = await send(gw.port, '/orders/7');
    expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: '{"order":7}' });
    const before = calls('/order/7');
    const client = await send(gw.port, '/client-path/7');
    expect(client.status).toBe(500);
    expect(client.body).toBe('request aborted by evaluator #0');
    expect(calls('/order/7')).toBe(before);
  });

  it('stops an expression that explodes, answers it 500, and keeps serving (the next CEL request too)', async () => {
    const [runaway, plain] = await Promise.all([
      send(gw.port, '/runaway'),
      // Sent while the runaway evaluation runs: the gateway's thread is free to answer it.
      send(gw.port, '/plain'),
    ]);
    expect(plain.status).toBe(200);
    expect(runaway.status).toBe(500);
    expect(runaway.body).toBe('request aborted: the CEL expressions ran over their 200ms budget');
    const after = await send(gw.port, '/users/7');
    expect(after.status).toBe(200);
  });

  it('an expression that does not parse or type-check leaves its endpoint unserved (500)', async () => {
    for (const path of ['/unparsable', '/untyped']) {
      const a = await send(gw.port, path);
      expect(a.status, path).toBe(500);
      expect(a.body, path).toBe('');
    }
  });

  it('formats now as krakend-cel does (RFC 3339, milliseconds without trailing zeros, UTC)', () => {
    expect(celNow(new Date('2024-05-06T07:08:09.120Z'))).toBe('2024-05-06T07:08:09.12Z');
    expect(celNow(new Date('2024-05-06T07:08:09.000Z'))).toBe('2024-05-06T07:08:09Z');
  });

  it('settings that cannot be read are a warning with file, line:column and pointer', () => {
    const file = {
      version: 3,
      host: ['http://127.0.0.1:1'],
      endpoints: [
        {
          endpoint: '/a',
          backend: [{ url_pattern: '/a' }],
          extra_config: { 'validation/cel': [{ check_expr: ['true'] }] },
        },
      ],
    };
    const { config, warnings } = validateGatewayConfig(file, {
      file: 'f.json',
      source: JSON.stringify(file, null, 1),
    });
    expect(config.endpoints?.[0]?.unserved).toBe('the settings of "validation/cel" cannot be read');
    const text = warnings.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/f\.json:\d+:\d+/);
    expect(text).toContain('/endpoints/0/extra_config/validation~1cel');
  });
});
