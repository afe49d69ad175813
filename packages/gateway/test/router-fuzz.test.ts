import { type GatewayFile, validateGatewayConfig } from '@switchyard/config';
import { createGateway } from '@switchyard/gateway';
import { isSwitchyardError } from '@switchyard/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParam } from '../src/router/params.js';
import { Router } from '../src/router/router.js';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { quietLogger, startGateway, type TestGateway } from './support/gateway.js';

// Issue 16 ("a fuzz and abuse suite that stays"): path decoding and routing never throw or hang on any
// path, and a parameter can never become more (or less) than the one segment it fills. Runs are bounded.

/** Path text as a client can send it: escapes (good and broken), dots, slashes, reserved characters. */
const pathText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%2F',
        '%2f',
        '%3F',
        '%23',
        '%25',
        '%252F',
        '%2E',
        '%2E%2E',
        '%',
        '%Z',
        '%C3%A9',
        '%FF',
        '%00',
      ),
      fc.constantFrom(..."abcAZ019.-_~/+;=:@!$&'()*,".split('')),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

describe('path parameter decoding', () => {
  it('returns one segment or a refusal, never throws', () => {
    // What the router captures: one raw segment (it never holds a literal '/').
    const segment = (t: string) => t.replaceAll('/', '');
    fc.assert(
      fc.property(pathText, fc.string({ maxLength: 30, unit: 'binary' }), fc.boolean(), (a, b, strict) => {
        for (const raw of [segment(a), segment(b)]) {
          const value = decodeParam(raw, strict);
          if (value === null) continue;
          expect(value === '.' || value === '..').toBe(false);
          // Encoded again into a url_pattern, it is always exactly one segment.
          expect(encodeURIComponent(value)).not.toMatch(/[/?#]/);
          // Strictly decoded, no escape hid a '/', '?', '#' or a second level of escapes.
          if (strict) expect(value.includes('/') || /%[0-9a-fA-F]{2}/.test(value)).toBe(false);
          if (strict && !raw.includes('?')) expect(value.includes('?')).toBe(false);
          if (strict && !raw.includes('#')) expect(value.includes('#')).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('router lookup', () => {
  const router = new Router<string>();
  for (const p of ['/a', '/a/{id}', '/a/{id}/b', '/x/{p}/{q}', '/x/static/{q}', '/files/*'])
    router.add('GET', p, p);
  router.add('POST', '/a/{id}', 'post');

  it('matches any path to one route with one non-empty segment per parameter, or to nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'PUT'), pathText, (method, tail) => {
        const found = router.lookup(method, `/${tail}`);
        if (found.kind !== 'found') return;
        const names = found.route.pattern.match(/\{[^}]+\}/g) ?? [];
        expect(found.params.length).toBe(names.length);
        for (const p of found.params) expect(p === '' || p.includes('/')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('path parameters over HTTP', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { url: req.url }));
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [{ endpoint: '/users/{id}', backend: [{ url_pattern: '/u/{id}/profile' }] }],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('answers any path, and a parameter reaches the backend as exactly one segment', async () => {
    await fc.assert(
      fc.asyncProperty(pathText, async (tail) => {
        const res = await send(gw.port, `/users/${tail}`);
        expect([200, 301, 307, 400, 404]).toContain(res.status);
        if (res.status === 200) expect(JSON.parse(res.body).url).toMatch(/^\/u\/[^/?#]+\/profile$/);
      }),
      { numRuns: 150 },
    );
  });
});

describe('compiling any file the loader accepts', () => {
  const seg = fc.constantFrom(
    'a',
    'b',
    '{id}',
    '{x}',
    '{id}',
    '*',
    '',
    '%2F',
    '..',
    '{resp0_a}',
    '{JWT.sub}',
  );
  const path = fc.array(seg, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
  const strings = fc.array(fc.constantFrom('a', 'a.b', 'b', 'collection', '*'), { maxLength: 3 });
  const backend = fc.record(
    {
      host: fc.constantFrom(['http://127.0.0.1:1'], ['127.0.0.1:2/base'], ['https://h'], ['ftp://h'], []),
      url_pattern: path,
      method: fc.constantFrom('GET', 'POST'),
      encoding: fc.constantFrom('json', 'safejson', 'string', 'no-op'),
      is_collection: fc.boolean(),
      allow: strings,
      deny: strings,
      mapping: fc.dictionary(fc.constantFrom('a', 'b', 'a.b'), fc.constantFrom('c', 'd')),
      group: fc.constantFrom('g', 'h'),
      target: fc.constantFrom('a', 'data'),
      input_headers: fc.array(fc.constantFrom('*', 'X-A', 'Expect', 'Connection'), { maxLength: 2 }),
      extra_config: fc.record(
        {
          proxy: fc.record(
            { shadow: fc.boolean(), flatmap_filter: fc.constant([{ type: 'del', args: ['a'] }]) },
            { requiredKeys: [] },
          ),
          'qos/circuit-breaker': fc.constant({ interval: 1, timeout: 1, max_errors: 1 }),
          'switchyard/backend': fc.record(
            {
              max_body_bytes: fc.integer({ min: 1, max: 2 ** 31 }),
              pool: fc.record(
                { connections: fc.integer({ min: 1, max: 4 }), name: fc.constantFrom('p', 'q') },
                { requiredKeys: [] },
              ),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['url_pattern'] },
  );
  const endpoint = fc.record(
    {
      endpoint: path,
      method: fc.constantFrom('GET', 'POST', 'PUT'),
      backend: fc.array(backend, { minLength: 1, maxLength: 3 }),
      output_encoding: fc.constantFrom('json', 'json-collection', 'string', 'no-op', 'negotiate'),
      concurrent_calls: fc.integer({ min: 1, max: 3 }),
      timeout: fc.constantFrom('1s', '0s', '10ms'),
      extra_config: fc.record(
        {
          proxy: fc.record(
            { sequential: fc.boolean(), static: fc.constant({ strategy: 'always', data: { s: 1 } }) },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['endpoint', 'backend'] },
  );
  const file = fc.record({ version: fc.constant(3), endpoints: fc.array(endpoint, { maxLength: 3 }) });

  it('builds a gateway, or refuses the file with SWY_CONFIG_INVALID naming the endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(file, async (value) => {
        let config: GatewayFile;
        try {
          config = validateGatewayConfig(value, { file: 'fuzz.json', env: {} }).config;
        } catch (err) {
          expect(isSwitchyardError(err) && err.code).toBe('SWY_CONFIG_INVALID');
          return;
        }
        let gateway: ReturnType<typeof createGateway>;
        try {
          gateway = createGateway({
            config,
            admin: false,
            host: '127.0.0.1',
            port: 0,
            logger: quietLogger(),
          });
        } catch (err) {
          expect(isSwitchyardError(err) && err.code, String(err)).toBe('SWY_CONFIG_INVALID');
          return;
        }
        await gateway.close();
      }),
      { numRuns: 300 },
    );
  });
});
