import { formatDiagnostic, validateGatewayConfig } from '@switchyard/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const ADDRESS = {
  type: 'object',
  required: ['street', 'zip'],
  properties: {
    street: { type: 'string' },
    zip: { type: 'string', pattern: '^[0-9]{5}$' },
    contact: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
  },
};

describe('validation/json-schema', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let quiet: TestGateway;

  const endpoints = [
    {
      endpoint: '/address',
      method: 'POST',
      backend: [{ url_pattern: '/store' }],
      extra_config: { 'validation/json-schema': ADDRESS },
    },
    {
      endpoint: '/modern',
      method: 'POST',
      backend: [{ url_pattern: '/store' }],
      extra_config: {
        'validation/json-schema': {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'array',
          prefixItems: [{ type: 'integer' }],
        },
      },
    },
    {
      endpoint: '/go-regex',
      method: 'POST',
      backend: [{ url_pattern: '/store' }],
      extra_config: {
        'validation/json-schema': {
          type: 'object',
          properties: { code: { type: 'string', pattern: '(?i)^ab[[:digit:]]$' } },
          patternProperties: { '^x-(?i:id)$': { type: 'integer' } },
        },
      },
    },
    {
      endpoint: '/tree',
      method: 'POST',
      backend: [{ url_pattern: '/store' }],
      extra_config: {
        'validation/json-schema': {
          $ref: '#/definitions/node',
          definitions: { node: { type: 'array', items: { $ref: '#/definitions/node' } } },
        },
      },
    },
    {
      endpoint: '/unique',
      method: 'POST',
      // Longer than any wait on a loaded machine: the validator's budget, not the deadline, stops a body.
      timeout: '30s',
      backend: [{ url_pattern: '/store' }],
      extra_config: { 'validation/json-schema': { type: 'array', uniqueItems: true } },
    },
    { endpoint: '/plain', backend: [{ url_pattern: '/store' }] },
    {
      endpoint: '/broken',
      method: 'POST',
      backend: [{ url_pattern: '/store' }],
      extra_config: { 'validation/json-schema': { type: 'no-such-type' } },
    },
  ];

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { stored: true }));
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

  const post = (port: number, path: string, body?: string) =>
    send(port, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      ...(body !== undefined && { body }),
    });

  it('passes a valid body, unchanged, to the backend', async () => {
    const before = backend.received.length;
    const body = JSON.stringify({ street: 'Main St', zip: '08001', contact: { email: 'a@b.example' } });
    const a = await post(gw.port, '/address', body);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ stored: true });
    expect(backend.received.slice(before).map((r) => r.body)).toEqual([body]);
  });

  it('refuses a body that fails the schema with 400, listing every violation, and calls no backend', async () => {
    const before = backend.received.length;
    const a = await post(gw.port, '/address', JSON.stringify({ zip: 'abc', contact: { email: 'nope' } }));
    expect(a.status).toBe(400);
    expect(a.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(a.headers['x-krakend-completed']).toBe('false');
    expect(a.body.split('\n')).toEqual([
      "- (root): must have required property 'street'",
      '- zip: must match pattern "^[0-9]{5}$"',
      '- contact.email: must match format "email"',
    ]);
    expect(backend.received.length).toBe(before);
  });

  it('answers 400 with an empty body without return_error_msg', async () => {
    const a = await post(quiet.port, '/address', JSON.stringify({ street: 1 }));
    expect(a.status).toBe(400);
    expect(a.body).toBe('');
    expect(a.headers['content-type']).toBeUndefined();
  });

  it('refuses an empty body and a body that is not JSON with 400', async () => {
    const empty = await post(gw.port, '/address');
    expect(empty.status).toBe(400);
    expect(empty.body).toBe('could not validate an empty body');
    const bad = await post(gw.port, '/address', '{"street":');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/JSON/);
  });

  it('reads the draft from $schema (2020-12 prefixItems)', async () => {
    expect((await post(gw.port, '/modern', '[1, "x"]')).status).toBe(200);
    const a = await post(gw.port, '/modern', '["x"]');
    expect(a.status).toBe(400);
    expect(a.body).toBe('- 0: must be integer');
  });

  it('matches pattern and patternProperties as Go regular expressions (RE2, linear time)', async () => {
    expect((await post(gw.port, '/go-regex', '{"code":"AB7","X-ID":1}')).status).toBe(200);
    const a = await post(gw.port, '/go-regex', '{"code":"abc","x-Id":"one"}');
    expect(a.status).toBe(400);
    expect(a.body.split('\n')).toEqual([
      '- code: must match pattern "(?i)^ab[[:digit:]]$"',
      '- x-Id: must be integer',
    ]);
    // A pattern a backtracking engine takes exponential time on is linear here.
    const evil = await post(gw.port, '/go-regex', JSON.stringify({ code: `${'a'.repeat(40_000)}!` }));
    expect(evil.status).toBe(400);
  });

  it('a body nested deeper than the stack (recursive $ref, 20k deep) is a 400, not a 500', async () => {
    expect((await post(gw.port, '/tree', '[[],[[]]]')).status).toBe(200);
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const a = await post(gw.port, '/tree', deep);
    expect(a.status).toBe(400);
    expect(a.body).toBe('the body is nested too deeply to validate');
    expect((await post(gw.port, '/address', '{"street":"a","zip":"12345"}')).status).toBe(200);
  });

  it('answers a body over 512 bytes (validated on the validator thread) as it answers a small one', async () => {
    const street = 'x'.repeat(2000);
    const ok = await post(gw.port, '/address', JSON.stringify({ street, zip: '08001' }));
    expect(ok.status).toBe(200);
    const a = await post(
      gw.port,
      '/address',
      JSON.stringify({ street, zip: 'abc', contact: { email: 'nope' } }),
    );
    expect(a.status).toBe(400);
    expect(a.body.split('\n')).toEqual([
      '- zip: must match pattern "^[0-9]{5}$"',
      '- contact.email: must match format "email"',
    ]);
    const bad = await post(gw.port, '/address', `{"street":"${street}"`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/JSON/);
    // ~900 bytes: over the inline limit, ~5k comparisons (well within the budget on a busy machine).
    const distinct = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ n: i })));
    expect((await post(gw.port, '/unique', distinct)).status).toBe(200);
    const twice = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ n: i % 99 })));
    const dup = await post(gw.port, '/unique', twice);
    expect(dup.status).toBe(400);
    expect(dup.body).toBe('- (root): must NOT have duplicate items (items ## 0 and 99 are identical)');
  });

  it('stops a body that costs quadratic time (uniqueItems over 300k objects) with 400; the gateway serves meanwhile', async () => {
    const before = backend.received.length;
    // ~4 MB: ajv compares object items pairwise, ~10^11 comparisons, hours of work.
    const hostile = JSON.stringify(Array.from({ length: 300_000 }, (_, i) => ({ n: i })));
    const order: string[] = [];
    const done =
      (name: string) =>
      <T>(r: T): T => {
        order.push(name);
        return r;
      };
    const [stopped, plain, small] = await Promise.all([
      post(gw.port, '/unique', hostile).then(done('hostile')),
      // Sent while the hostile body is validated: the gateway's thread is free to answer them.
      send(gw.port, '/plain').then(done('plain')),
      post(gw.port, '/address', '{"street":"a","zip":"12345"}').then(done('small')),
    ]);
    expect(stopped.status).toBe(400);
    expect(stopped.headers['x-krakend-completed']).toBe('false');
    expect(stopped.body).toMatch(
      /^the body could not be validated: the validation ran over its \d+ms budget$/,
    );
    expect(plain.status).toBe(200);
    expect(small.status).toBe(200);
    expect(order.at(-1)).toBe('hostile');
    // The hostile body reached no backend; the validator thread was replaced and validates again.
    expect(backend.received.slice(before).every((r) => r.body.length < 1000)).toBe(true);
    const numbers = JSON.stringify(Array.from({ length: 200 }, (_, i) => i));
    expect(numbers.length).toBeGreaterThan(512);
    expect((await post(gw.port, '/unique', numbers)).status).toBe(200);
    const quietStopped = await post(quiet.port, '/unique', hostile);
    expect(quietStopped.status).toBe(400);
    expect(quietStopped.body).toBe('');
  }, 30_000);

  it('a schema that cannot be compiled leaves its endpoint unserved (500); the others serve', async () => {
    const a = await post(gw.port, '/broken', '{}');
    expect(a.status).toBe(500);
    expect(a.body).toBe('');
    expect((await post(gw.port, '/address', '{"street":"a","zip":"12345"}')).status).toBe(200);
  });

  it('a namespace value that is not a schema is a warning naming file, line:column and pointer; the endpoint answers 500', () => {
    const file = {
      version: 3,
      host: ['http://127.0.0.1:1'],
      endpoints: [
        {
          endpoint: '/a',
          method: 'POST',
          backend: [{ url_pattern: '/a' }],
          extra_config: { 'validation/json-schema': 'object' },
        },
      ],
    };
    const { config, warnings } = validateGatewayConfig(file, {
      file: 'f.json',
      source: JSON.stringify(file, null, 1),
    });
    expect(config.endpoints?.[0]?.unserved).toBe('the settings of "validation/json-schema" cannot be read');
    const text = warnings.map(formatDiagnostic).join('\n');
    expect(text).toContain('f.json:');
    expect(text).toContain('/endpoints/0/extra_config/validation~1json-schema');
  });
});
