import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, formatDiagnostic, loadGatewayConfig } from '@switchyard/config';
import { isSwitchyardError } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('./fixtures/broken/', import.meta.url));

/**
 * Each broken file and exactly what `check` must say about it: `line:column severity pointer: message`,
 * and the text that must start at that line:column in the file (so positions are checked against the file
 * itself, not against the scanner that computed them).
 */
const CASES: Record<string, [string, string][]> = {
  'version-2.json': [
    [
      '2:14 error /version: expected 3, got 2; Switchyard reads KrakenD configuration files of version 3',
      '2',
    ],
  ],
  'version-missing.json': [['1:1 error /version: missing required key "version"', '{']],
  'backend-unknown-key.json': [
    [
      '9:11 error /endpoints/0/backend/0/url_patern: unknown key; did you mean "url_pattern"?',
      '"url_patern"',
    ],
  ],
  'root-unknown-key.json': [['4:3 error /endpionts: unknown key; did you mean "endpoints"?', '"endpionts"']],
  'endpoint-no-slash.json': [
    ['5:19 error /endpoints/0/endpoint: an endpoint must start with "/"; did you mean "/users"?', '"users"'],
  ],
  'url-param-undefined.json': [
    [
      '9:26 error /endpoints/0/backend/1/url_pattern: {account} is not a parameter of the endpoint "/users/{id}"; only {params} of the endpoint path, {respN_field} and {JWT.claim} can be used',
      '"/accounts/{account}',
    ],
  ],
  'url-param-typo.json': [
    [
      '7:36 error /endpoints/0/backend/0/url_pattern: {userid} is not a parameter of the endpoint "/users/{user_id}/orders"; did you mean "{user_id}"?',
      '"/orders?user={userid}"',
    ],
  ],
  'noop-output-two-backends.json': [
    [
      '7:26 error /endpoints/0/output_encoding: the no-op output encoding needs exactly one backend (this endpoint has 2)',
      '"no-op"',
    ],
  ],
  'duplicate-endpoint.json': [
    [
      '7:19 error /endpoints/2/endpoint: GET /users/{name} is defined twice; first defined at /endpoints/0 (line 5)',
      '"/users/{name}"',
    ],
  ],
  'bad-duration.json': [
    ['3:14 error /timeout: expected a duration such as 2s, 1m30s or 250ms, got "2 seconds"', '"2 seconds"'],
  ],
  'namespace-bad-duration.json': [
    [
      '4:46 error /extra_config/telemetry~1events/health_interval: expected a duration such as 2s, 1m30s or 250ms, got "10 s"',
      '"10 s"',
    ],
  ],
  'method-lowercase.json': [
    [
      '5:39 error /endpoints/0/method: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT, TRACE, got "get"; did you mean "GET"?',
      '"get"',
    ],
  ],
  'encoding-typo.json': [
    [
      '7:58 error /endpoints/0/backend/0/encoding: expected one of json, safejson, string, no-op, xml, rss, got "jsn"; did you mean "json"?',
      '"jsn"',
    ],
  ],
  'output-encoding-typo.json': [
    [
      '3:22 error /output_encoding: expected one of json, json-collection, string, no-op, negotiate, xml, yaml, got "json-colection"; did you mean "json-collection"?',
      '"json-colection"',
    ],
  ],
  'no-backends.json': [['4:40 error /endpoints/0/backend: an endpoint needs at least one backend', '[]']],
  'no-host.json': [
    [
      '6:19 error /endpoints/0/backend/0: no host for this backend; set "host" on the backend or at the root of the file',
      '{ "url_pattern"',
    ],
  ],
  'port-string.json': [['3:11 error /port: expected an integer, got "8080"', '"8080"']],
  'port-range.json': [['3:11 error /port: expected a number ≤ 65535, got 70000', '70000']],
  'proxy-unknown-key.json': [
    [
      '7:36 error /endpoints/0/extra_config/proxy/sequental: unknown key; did you mean "sequential"?',
      '"sequental"',
    ],
  ],
  'static-bad-strategy.json': [
    [
      '8:44 error /endpoints/0/extra_config/proxy/static/strategy: expected one of always, success, errored, complete, incomplete, got "allways"; did you mean "always"?',
      '"allways"',
    ],
  ],
  'flatmap-bad-op.json': [
    [
      '11:23 error /endpoints/0/extra_config/proxy/flatmap_filter/1/type: expected one of move, del, append, got "rename"',
      '"rename"',
    ],
    [
      '12:38 error /endpoints/0/extra_config/proxy/flatmap_filter/2/args: expected at least 1 item, got an empty array',
      '[]',
    ],
  ],
  'circuit-breaker-missing.json': [
    [
      '11:36 error /endpoints/0/backend/0/extra_config/qos~1circuit-breaker/max_errors: missing required key "max_errors"',
      '{ "interval"',
    ],
    [
      '11:65 error /endpoints/0/backend/0/extra_config/qos~1circuit-breaker/timeout: expected an integer, got "10s"',
      '"10s"',
    ],
  ],
  'reserved-endpoint.json': [
    ['5:19 error /endpoints/0/endpoint: "/__debug/{x}" is reserved for a built-in route', '"/__debug/{x}"'],
  ],
  'backend-not-array.json': [
    ['4:40 error /endpoints/0/backend: expected an array, got an object', '{ "host"'],
  ],
  'host-not-array.json': [['3:11 error /host: expected an array, got "http://127.0.0.1:8000"', '"http://']],
  'concurrent-calls-zero.json': [
    ['5:49 error /endpoints/0/concurrent_calls: expected a number ≥ 1, got 0', '0,'],
  ],
  'param-twice.json': [
    ['5:19 error /endpoints/0/endpoint: the parameter {id} appears twice', '"/a/{id}/b/{id}"'],
  ],
  'root-array.json': [['1:1 error /: expected an object, got an array', '[']],
  'ratelimit-strategy-typo.json': [
    [
      '8:86 error /endpoints/0/extra_config/qos~1ratelimit~1router/strategy: expected one of ip, header, param, got "headr"; did you mean "header"?',
      '"headr"',
    ],
  ],
};

/** What `check --lint` says: the errors (its warnings are tested in gateway-load.test.ts). */
async function diagnosticsOf(file: string): Promise<Diagnostic[]> {
  try {
    await loadGatewayConfig(file, { env: {}, lint: true });
  } catch (err) {
    if (isSwitchyardError(err, 'SWY_CONFIG_INVALID'))
      return ((err.details?.diagnostics ?? []) as Diagnostic[]).filter((d) => d.severity === 'error');
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('broken gateway configs, as check --lint sees them', () => {
  it('has at least 20 broken files, each with its expected diagnostics', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name}: reports the pointer, line:column and message`, async () => {
      const file = `${dir}${name}`;
      const diagnostics = await diagnosticsOf(file);
      expect(diagnostics.map(formatDiagnostic)).toEqual(expected.map(([text]) => `${file}:${text}`));
      const lines = readFileSync(file, 'utf8').split('\n');
      diagnostics.forEach((d, k) => {
        const at = (expected[k] as [string, string])[1];
        expect((lines[d.line - 1] ?? '').slice(d.column - 1)).toMatch(
          new RegExp(`^${at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        );
      });
    });
  }

  it('throws SWY_CONFIG_INVALID whose message lists every diagnostic', async () => {
    const file = `${dir}flatmap-bad-op.json`;
    await expect(loadGatewayConfig(file, { env: {}, lint: true })).rejects.toMatchObject({
      code: 'SWY_CONFIG_INVALID',
      message: `${file}:11:23 error /endpoints/0/extra_config/proxy/flatmap_filter/1/type: expected one of move, del, append, got "rename"\n${file}:12:38 error /endpoints/0/extra_config/proxy/flatmap_filter/2/args: expected at least 1 item, got an empty array`,
    });
  });
});
