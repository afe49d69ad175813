import { type Diagnostic, formatDiagnostic, validateGatewayConfig } from '@switchyard/config';
import { isSwitchyardError } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

// How `run` (and plain `check`) read what KrakenD's config loader reads loosely, and what `check --lint`
// says about the same file. Each case: the file, what run hands the gateway, run's warnings, lint's errors.

const host = ['http://127.0.0.1:8000'];
const one = (endpoint: Record<string, unknown>, root: Record<string, unknown> = {}) => ({
  version: 3,
  host,
  ...root,
  endpoints: [{ endpoint: '/a', backend: [{ url_pattern: '/a' }], ...endpoint }],
});

function asRun(value: unknown) {
  const source = JSON.stringify(value, null, 1);
  return validateGatewayConfig(value, { file: 'f.json', source });
}

function lintErrors(value: unknown): string[] {
  const source = JSON.stringify(value, null, 1);
  try {
    validateGatewayConfig(value, { file: 'f.json', source, lint: true });
  } catch (err) {
    if (!isSwitchyardError(err, 'SWY_CONFIG_INVALID')) throw err;
    return ((err.details?.diagnostics ?? []) as Diagnostic[])
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.pointer}: ${d.message}`);
  }
  return [];
}

const warnings = (ds: Diagnostic[]) => ds.map((d) => `${d.pointer}: ${d.message}`);

describe('values KrakenD decodes loosely: run starts, --lint complains', () => {
  it('"concurrent_calls": "1" is 1', () => {
    const file = one({ concurrent_calls: '1' });
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]?.concurrent_calls).toBe(1);
    expect(warnings(w)).toEqual([`/endpoints/0/concurrent_calls: "1" read as 1, as KrakenD's decoder does`]);
    expect(lintErrors(file)).toEqual(['/endpoints/0/concurrent_calls: expected an integer, got "1"']);
  });

  it('"version": "3" is 3', () => {
    const file = { ...one({}), version: '3' };
    expect(asRun(file).config.version).toBe(3);
    expect(lintErrors(file)).toEqual(['/version: expected a number, got "3"']);
  });

  it('booleans given as strings or numbers ("true", "1", 0) are booleans, as Go parses them', () => {
    const file = one(
      { backend: [{ url_pattern: '/a', is_collection: 'true', disable_host_sanitize: 0 }] },
      { echo_endpoint: '1', debug_endpoint: 'False' },
    );
    const { config } = asRun(file);
    expect(config).toMatchObject({ echo_endpoint: true, debug_endpoint: false });
    expect(config.endpoints?.[0]?.backend[0]).toMatchObject({
      is_collection: true,
      disable_host_sanitize: false,
    });
    expect(lintErrors(file)).toHaveLength(4);
  });

  it('a string that is no boolean is still refused, as KrakenD refuses it', () => {
    expect(() => asRun(one({}, { echo_endpoint: 'yes' }))).toThrow(
      'f.json:6:19 error /echo_endpoint: expected true or false, got "yes"',
    );
  });

  it('enum values in another case ("level": "error", "method": "post") are read as KrakenD reads them', () => {
    const file = one(
      { method: 'post' },
      { extra_config: { 'telemetry/logging': { level: 'error', stdout: 'true' } } },
    );
    const { config, warnings: w } = asRun(file);
    expect(config.extra_config?.['telemetry/logging']).toEqual({ level: 'ERROR', stdout: true });
    expect(config.endpoints?.[0]?.method).toBe('POST');
    expect(warnings(w)).toContain(
      `/extra_config/telemetry~1logging/level: "error" read as "ERROR", as KrakenD's decoder does`,
    );
    expect(lintErrors(file).sort()).toEqual([
      '/endpoints/0/method: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT, TRACE, got "post"',
      '/extra_config/telemetry~1logging/level: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "error"',
      '/extra_config/telemetry~1logging/stdout: expected true or false, got "true"',
    ]);
  });

  it('an unknown encoding or output encoding is json, as lura falls back to json', () => {
    const file = one({ output_encoding: 'fancy', backend: [{ url_pattern: '/a', encoding: 'JSON5' }] });
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]).toMatchObject({ output_encoding: 'json', backend: [{ encoding: 'json' }] });
    expect(warnings(w)).toEqual([
      '/endpoints/0/backend/0/encoding: unknown encoding "JSON5"; read as json',
      '/endpoints/0/output_encoding: unknown output encoding "fancy"; read as json',
    ]);
    expect(lintErrors(file)).toHaveLength(2);
  });

  it('a single value where a list is expected is a list of one; key names in another case are read', () => {
    const file = {
      version: 3,
      Host: 'http://127.0.0.1:8000',
      endpoints: { endpoint: '/a', backend: { url_pattern: '/a' } },
    };
    const { config } = asRun(file);
    expect(config.host).toEqual(host);
    expect(config.endpoints).toEqual([{ endpoint: '/a', backend: [{ url_pattern: '/a' }] }]);
    expect(lintErrors(file)).toEqual(['/Host: unknown key', '/endpoints: expected an array, got an object']);
  });

  it('null is as good as absent, as Go decodes it to the zero value', () => {
    const { config, warnings: w } = asRun(
      one({ timeout: null, backend: [{ url_pattern: '/a', host: null }] }),
    );
    expect(config.endpoints?.[0]).toEqual({ endpoint: '/a', backend: [{ url_pattern: '/a' }] });
    expect(warnings(w)).toContain(
      "/endpoints/0/timeout: null read as absent (the default applies), as KrakenD's decoder does",
    );
  });

  it('a duration given as a number is nanoseconds, and a zero timeout is the default one', () => {
    const { config } = asRun(one({ timeout: 1500000000 }, { timeout: '0s' }));
    expect(config.timeout).toBe('2s');
    expect(config.endpoints?.[0]?.timeout).toBe('1500000000ns');
  });

  it('a malformed duration is refused, as KrakenD refuses it', () => {
    expect(() => asRun(one({ timeout: '2 seconds' }))).toThrow(
      '/endpoints/0/timeout: expected a duration such as 2s, 1m30s or 250ms, got "2 seconds"',
    );
  });
});

describe('settings KrakenD starts with and checks at request time', () => {
  it('a backend without host starts; its endpoint is marked unserved (it answers 500)', () => {
    const file = { version: 3, endpoints: [{ endpoint: '/a', backend: [{ url_pattern: '/a' }] }] };
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]?.unserved).toBe('backend 0 has no host');
    expect(warnings(w)).toEqual([
      '/endpoints/0: GET /a is not served (backend 0 has no host); it answers 500, as KrakenD answers an endpoint it cannot build',
      '/endpoints/0/backend/0: no host for this backend; the endpoint answers 500',
    ]);
    expect(lintErrors(file)).toEqual(['/endpoints/0/backend/0: no host for this backend']);
  });

  it('output_encoding no-op on an endpoint whose backend is not no-op switches the backend to no-op, as lura does', () => {
    const file = one({ output_encoding: 'no-op', backend: [{ url_pattern: '/a', encoding: 'json' }] });
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]?.backend[0]?.encoding).toBe('no-op');
    expect(w).toEqual([]);
    expect(lintErrors(file)).toEqual([]);
  });

  it('auth/validator without a key source starts, with a warning that every token is refused', () => {
    const file = one({ extra_config: { 'auth/validator': { alg: 'RS256' } } });
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]?.unserved).toBeUndefined();
    expect(warnings(w)).toEqual([
      '/endpoints/0/extra_config/auth~1validator: no jwk_url nor jwk_local_path: every token is refused (401)',
    ]);
  });

  it('a method no endpoint can have leaves the endpoint unserved; a value out of range is the default', () => {
    const file = one({ method: 'FETCH' }, { port: 70000 });
    const { config, warnings: w } = asRun(file);
    expect(config.port).toBe(8080);
    expect(config.endpoints?.[0]?.unserved).toBe('the method "FETCH" is not one an endpoint can have');
    expect(warnings(w)).toContain('/port: expected a number ≤ 65535, got 70000; ignored');
    const hosts = asRun(one({}, { host: ['', 'http://a.test', ''] })).config.host;
    expect(hosts).toEqual(['http://a.test']);
    expect(lintErrors(file)).toHaveLength(2);
  });

  it('an endpoint path without its leading "/" is served with one, as lura cleans it', () => {
    const { config } = asRun(one({ endpoint: 'a' }));
    expect(config.endpoints?.[0]?.endpoint).toBe('/a');
  });
});

describe('what is not implemented', () => {
  it('unknown keys at any level are warnings, left out of what the gateway gets', () => {
    const file = one(
      { backend: [{ url_pattern: '/a', timeout: '1s' }], cache: true },
      { unknown_root: 1, extra_config: { proxy: { sequential: false, sequental: true } } },
    );
    const { config, warnings: w } = asRun(file);
    expect(config.endpoints?.[0]).toEqual({ endpoint: '/a', backend: [{ url_pattern: '/a' }] });
    expect(config).not.toHaveProperty('unknown_root');
    expect(warnings(w)).toEqual([
      '/unknown_root: unknown key; ignored',
      '/extra_config/proxy: namespace "proxy" has no effect at the root level; ignored',
      '/endpoints/0/backend/0/timeout: unknown key; ignored',
      '/endpoints/0/cache: unknown key; ignored',
    ]);
  });

  it('keys named like Object.prototype members are unknown keys like any other', () => {
    const { config, warnings: w } = asRun(one({ toString: 1, constructor: 'x' }));
    expect(config.endpoints?.[0]).toEqual({ endpoint: '/a', backend: [{ url_pattern: '/a' }] });
    expect(w.map((d) => `${d.pointer}: ${d.message}${d.hint ? `; ${d.hint}` : ''}`)).toEqual([
      '/endpoints/0/toString: unknown key; ignored',
      '/endpoints/0/constructor: unknown key; ignored',
    ]);
  });

  it('a key KrakenD 2 knew under another name says so', () => {
    const { warnings: w } = asRun(one({ headers_to_pass: ['Authorization'] }));
    expect(w.map((d) => `${d.message}; ${d.hint}`)).toEqual([
      'unknown key; ignored; KrakenD v3 calls it "input_headers"',
    ]);
  });

  it('a missing namespace that changes the answers leaves its endpoint unserved; telemetry does not', () => {
    const file = {
      version: 3,
      host,
      endpoints: [
        {
          endpoint: '/jmespath',
          extra_config: { 'modifier/jmespath': { expr: 'x' } },
          backend: [{ url_pattern: '/a' }],
        },
        {
          endpoint: '/traced',
          extra_config: { 'telemetry/opentelemetry': { proxy: { disable_metrics: true } } },
          backend: [{ url_pattern: '/a' }],
        },
        {
          endpoint: '/enterprise',
          extra_config: { 'validation/response-json-schema': { schema: { type: 'object' } } },
          backend: [{ url_pattern: '/a' }],
        },
      ],
    };
    const { config } = asRun(file);
    expect(config.endpoints?.map((e) => e.unserved)).toEqual([
      'namespace "modifier/jmespath" is not implemented by Switchyard',
      undefined,
      'namespace "validation/response-json-schema" is not implemented by Switchyard',
    ]);
  });

  it('a namespace with a schema per level: telemetry/opentelemetry overrides on endpoints and backends', () => {
    const otel = 'telemetry/opentelemetry';
    const file = one(
      {
        extra_config: { [otel]: { proxy: { disable_traces: true }, exporters: {} } },
        backend: [
          {
            url_pattern: '/a',
            extra_config: { [otel]: { backend: { traces: { round_trip: true } }, proxy: {} } },
          },
        ],
      },
      { extra_config: { [otel]: { service_name: 'edge', backend: {} } } },
    );
    const { config, warnings: w } = asRun(file);
    // Each level keeps what it may set; a key of another level is unknown there.
    expect(config.extra_config?.[otel]).toEqual({ service_name: 'edge' });
    const ep = config.endpoints?.[0];
    expect(ep?.extra_config?.[otel]).toEqual({ proxy: { disable_traces: true } });
    expect(ep?.backend[0]?.extra_config?.[otel]).toEqual({ backend: { traces: { round_trip: true } } });
    expect(ep?.unserved).toBeUndefined();
    expect(warnings(w).filter((m) => m.includes('opentelemetry'))).toEqual(
      expect.arrayContaining([
        '/extra_config/telemetry~1opentelemetry/backend: unknown key; ignored',
        '/endpoints/0/extra_config/telemetry~1opentelemetry/exporters: unknown key; ignored',
        '/endpoints/0/backend/0/extra_config/telemetry~1opentelemetry/proxy: unknown key; ignored',
      ]),
    );
    expect(warnings(w).filter((m) => m.includes('opentelemetry'))).toHaveLength(3);
  });

  it('an implemented namespace read under its old name works as the new one', () => {
    const file = one(
      {},
      { extra_config: { 'github_com/devopsfaith/krakend-cors': { allow_origins: ['*'] } } },
    );
    const { config } = asRun(file);
    expect(config.extra_config).toEqual({ 'security/cors': { allow_origins: ['*'] } });
  });

  it('an implemented namespace that cannot be read: dropped at the root, its endpoint unserved elsewhere', () => {
    const file = one(
      { extra_config: { 'qos/ratelimit/router': { max_rate: 'many' } } },
      { extra_config: { 'security/cors': { allow_origins: 'https://a.test', max_age: 'long' } } },
    );
    const { config, warnings: w } = asRun(file);
    expect(config.extra_config).toEqual({});
    expect(config.endpoints?.[0]?.unserved).toBe('the settings of "qos/ratelimit/router" cannot be read');
    expect(warnings(w)).toContain(
      '/extra_config/security~1cors: namespace "security/cors" ignored: its settings cannot be read',
    );
  });
});

describe('what KrakenD refuses, run refuses too', () => {
  it.each([
    ['a version other than 3', { version: 2 }, '/version: expected 3, got 2'],
    [
      'the same method and path twice',
      {
        version: 3,
        host,
        endpoints: [
          { endpoint: '/a/{x}', backend: [{ url_pattern: '/a' }] },
          { endpoint: '/a/{y}', backend: [{ url_pattern: '/a' }] },
        ],
      },
      '/endpoints/1/endpoint: GET /a/{y} is defined twice',
    ],
    [
      'an endpoint without backends',
      one({ backend: [] }),
      '/endpoints/0/backend: an endpoint needs at least one backend',
    ],
    [
      'a wildcard inside a path',
      one({ endpoint: '/a/*/b' }),
      '/endpoints/0/endpoint: "/a/*/b": a "*" can only end a path',
    ],
    [
      'a value of the wrong type',
      one({ backend: 'x' }),
      '/endpoints/0/backend/0: expected an object, got "x"',
    ],
  ])('%s', (_what, file, message) => {
    let error: unknown;
    try {
      asRun(file);
    } catch (err) {
      error = err;
    }
    expect(isSwitchyardError(error, 'SWY_CONFIG_INVALID')).toBe(true);
    const lines = (error as Error).message.split('\n').map((l) => l.replace(/^f\.json:\d+:\d+ error /, ''));
    expect(lines.some((l) => l.startsWith(message))).toBe(true);
  });
});

it('formats run warnings with file, line:column and pointer', () => {
  const file = one({ concurrent_calls: '2' });
  const { warnings: w } = asRun(file);
  expect(w.map(formatDiagnostic)).toEqual([
    `f.json:14:24 warning /endpoints/0/concurrent_calls: "2" read as 2, as KrakenD's decoder does`,
  ]);
  const line = JSON.stringify(file, null, 1).split('\n')[13] ?? '';
  expect(line.slice(23)).toBe('"2"');
});
