import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Diagnostic,
  formatDiagnostic,
  GATEWAY_DEFAULTS,
  loadGatewayConfig,
  parseJsonWithPositions,
  validateGatewayConfig,
} from '@switchyard/config';
import { BEARER_TOKEN_TEXT, isSwitchyardError } from '@switchyard/shared';
import { describe, expect, it, vi } from 'vitest';
import { ajv } from '../src/diagnostics/ajv.js';

const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));
const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
const lines = (ds: Diagnostic[]) => ds.map(formatDiagnostic);

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (isSwitchyardError(err)) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError');
}

describe('good gateway configs', () => {
  it('loads every example without errors or warnings, even with --lint', async () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const name of examples) {
      const loaded = await loadGatewayConfig(`${examplesDir}${name}`, { env: {}, lint: true });
      expect(lines(loaded.warnings), name).toEqual([]);
      expect(loaded.file).toBe(`${examplesDir}${name}`);
    }
  });

  it('applies the root defaults and leaves endpoint and backend defaults to the gateway', async () => {
    const { config } = await loadGatewayConfig(fixture('good/minimal.json'), { env: {} });
    expect(config).toMatchObject({
      port: GATEWAY_DEFAULTS.port,
      timeout: '2s',
      cache_ttl: '0s',
      output_encoding: 'json',
    });
    expect(config.endpoints?.[0]?.method).toBeUndefined();
    expect(config.endpoints?.[0]?.backend[0]?.encoding).toBeUndefined();
  });

  it('loads KrakenD features it does not implement, with a warning for each (never silently)', async () => {
    const file = fixture('good/krakend-extras.json');
    const { warnings, config } = await loadGatewayConfig(file, { env: {} });
    expect(config.endpoints?.map((e) => e.unserved)).toEqual([
      'namespace "validation/response-json-schema" is not implemented by Switchyard',
      undefined,
    ]);
    expect(lines(warnings)).toEqual([
      `${file}:5:3 warning /tls: "tls" is not implemented by Switchyard; ignored`,
      `${file}:8:5 warning /extra_config/telemetry~1influx: namespace "telemetry/influx" is not implemented by Switchyard; ignored`,
      `${file}:9:5 warning /extra_config/qos~1ratelimit~1routr: namespace "qos/ratelimit/routr" is not implemented by Switchyard; ignored; did you mean "qos/ratelimit/router"?`,
      `${file}:12:5 warning /endpoints/0: GET /users/{id} is not served (namespace "validation/response-json-schema" is not implemented by Switchyard); it answers 500, as KrakenD answers an endpoint it cannot build`,
      `${file}:15:9 warning /endpoints/0/extra_config/router: namespace "router" has no effect at the endpoint level; ignored; it belongs in the extra_config of the root`,
      `${file}:16:9 warning /endpoints/0/extra_config/validation~1response-json-schema: namespace "validation/response-json-schema" is not implemented by Switchyard; ignored`,
    ]);
  });
});

describe('admin token', () => {
  it('an admin token that could never match a header: a warning naming file, line:column and pointer, the value hidden; the namespace is dropped (loopback, no exposure)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-admin-token-'));
    try {
      const file = join(dir, 'krakend.json');
      writeFileSync(
        file,
        '{\n  "version": 3,\n  "extra_config": { "admin": { "listen": "0.0.0.0:8091", "token": "s3cret\\n" } }\n}\n',
      );
      const { warnings, config } = await loadGatewayConfig(file, { env: {} });
      const text = lines(warnings).join('\n');
      expect(text).toContain(`${file}:3:`);
      expect(text).toContain(`/extra_config/admin/token: expected ${BEARER_TOKEN_TEXT}, got (hidden)`);
      expect(text).not.toContain('s3cret');
      expect(config.extra_config?.admin).toBeUndefined();
      writeFileSync(file, '{\n  "version": 3,\n  "extra_config": { "admin": { "token": "s3cret" } }\n}\n');
      expect((await loadGatewayConfig(file, { env: {} })).config.extra_config?.admin).toEqual({
        token: 's3cret',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--lint', () => {
  it('warns about questionable but valid things, and only when asked', async () => {
    const file = fixture('lint/questionable.json');
    expect((await loadGatewayConfig(file, { env: {} })).warnings).toEqual([]);
    const { warnings } = await loadGatewayConfig(file, { env: {}, lint: true });
    expect(lines(warnings)).toEqual([
      `${file}:4:3 warning /timeout: duplicate key; only the last one is used; also defined at line 3`,
      `${file}:6:26 warning /extra_config/admin/listen: the admin API listens beyond loopback without a token; set "token", or listen on 127.0.0.1`,
      `${file}:12:27 warning /endpoints/0/concurrent_calls: concurrent calls repeat a POST request to the backend; use concurrent_calls only with GET or HEAD`,
      `${file}:13:24 warning /endpoints/0/input_headers: forwards every client header to the backends, Authorization and Cookie included; list the headers the backends need`,
      `${file}:14:30 warning /endpoints/0/backend/0/host/0: host "127.0.0.1:8000" has no scheme; http:// is assumed`,
      `${file}:14:64 warning /endpoints/0/backend/0/url_pattern: a url_pattern should start with "/"; did you mean "/orders"?`,
      `${file}:19:107 warning /endpoints/1/backend/0/deny: both allow and deny are set; use one of them`,
      `${file}:20:61 warning /endpoints/1/backend/1/url_pattern: {resp0_user_id} is only filled by a sequential proxy; set extra_config.proxy.sequential to true on the endpoint`,
      `${file}:25:50 warning /endpoints/2/extra_config/proxy/sequential: sequential has no effect with a single backend`,
      `${file}:27:71 warning /endpoints/2/backend/0/url_pattern: {resp1_id} refers to backend 1, which is not called before backend 0`,
      `${file}:27:104 warning /endpoints/2/backend/0/encoding: ignored: the endpoint's no-op output encoding passes the response through as it is`,
    ]);
  });
});

describe('SWITCHYARD_<KEY> environment overrides', () => {
  const file = fixture('good/minimal.json');

  it('overrides root scalars, typed by the schema', async () => {
    const { config } = await loadGatewayConfig(file, {
      env: {
        SWITCHYARD_PORT: '9000',
        SWITCHYARD_TIMEOUT: '5s',
        SWITCHYARD_ECHO_ENDPOINT: 'true',
        SWITCHYARD_NAME: 'edge',
      },
    });
    expect(config).toMatchObject({ port: 9000, timeout: '5s', echo_endpoint: true, name: 'edge' });
  });

  it('reports a bad value against the variable', async () => {
    const err = await failure(
      loadGatewayConfig(file, { env: { SWITCHYARD_PORT: 'abc', SWITCHYARD_OUTPUT_ENCODING: 'jsno' } }),
    );
    expect(err.code).toBe('SWY_CONFIG_INVALID');
    expect(err.message.split('\n')).toEqual([
      'env SWITCHYARD_PORT error /port: expected an integer, got "abc"',
      'env SWITCHYARD_OUTPUT_ENCODING warning /output_encoding: unknown output encoding "jsno"; read as json; did you mean "json"?',
    ]);
  });

  it('warns about a SWITCHYARD_ variable that looks like a typo', async () => {
    const { warnings } = await loadGatewayConfig(file, { env: { SWITCHYARD_PROT: '1' } });
    expect(lines(warnings)).toEqual([
      `${file}:1:1 warning /: SWITCHYARD_PROT is not a root setting and is ignored; did you mean "SWITCHYARD_PORT"?`,
    ]);
  });

  it('reads process.env by default in loadGatewayConfig, and no env in validateGatewayConfig unless given', async () => {
    vi.stubEnv('SWITCHYARD_PORT', '9100');
    try {
      expect((await loadGatewayConfig(file)).config.port).toBe(9100);
      expect(validateGatewayConfig(JSON.parse(readFileSync(file, 'utf8'))).config.port).toBe(8080);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('validateGatewayConfig (values from code)', () => {
  it('validates a value with no file: diagnostics carry the pointer, no line', () => {
    let err: unknown;
    try {
      validateGatewayConfig(
        { version: 3, endpoints: [{ endpoint: '/x', backend: [{ host: ['http://h'], url_patern: '/' }] }] },
        { lint: true },
      );
    } catch (e) {
      err = e;
    }
    expect(isSwitchyardError(err, 'SWY_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toBe(
      '<config> error /endpoints/0/backend/0/url_patern: unknown key; did you mean "url_pattern"?',
    );
  });

  it('locates diagnostics in `source` when given', () => {
    const source = '{\n  "version": 3,\n  "port": -1\n}\n';
    expect(() =>
      validateGatewayConfig(JSON.parse(source), { file: 'inline.json', source, lint: true }),
    ).toThrow('inline.json:3:11 error /port: expected a number ≥ 0, got -1');
  });

  it("does not change the caller's value", () => {
    const value = { version: 3 as const };
    const { config } = validateGatewayConfig(value);
    expect(value).toEqual({ version: 3 });
    expect(config.port).toBe(8080);
  });

  it('compiles no schema per call (all compiled at module load)', () => {
    const compile = vi.spyOn(ajv, 'compile');
    try {
      for (let i = 0; i < 3; i++)
        validateGatewayConfig({ version: 3, extra_config: { router: {}, proxy: {} } });
      expect(compile).not.toHaveBeenCalled();
    } finally {
      compile.mockRestore();
    }
  });
});

describe('files that cannot be read or parsed', () => {
  const cases: [string, string][] = [
    [
      'trailing-comma.json',
      '4:1: invalid JSON: expected another key after "," (trailing commas are not JSON), found \'}\'',
    ],
    ['unterminated-string.json', '3:24: invalid JSON: expected a closing quote, found end of line'],
    ['missing-comma.json', '3:3: invalid JSON: expected "," or "}" after an object member, found \'"\''],
    [
      'empty.json',
      '1:1: invalid JSON: expected a JSON value (object, array, string, number, true, false or null), found end of file',
    ],
    ['single-quotes.json', "2:3: invalid JSON: expected a key in double quotes, found '''"],
  ];
  for (const [name, message] of cases) {
    it(`${name}: SWY_CONFIG_PARSE with line:column`, async () => {
      const file = fixture(`unparsable/${name}`);
      const err = await failure(loadGatewayConfig(file, { env: {} }));
      expect(err.code).toBe('SWY_CONFIG_PARSE');
      expect(err.message).toBe(`${file}:${message}`);
    });
  }

  it('a missing file is SWY_CONFIG_READ', async () => {
    const err = await failure(loadGatewayConfig(fixture('nope.json'), { env: {} }));
    expect(err.code).toBe('SWY_CONFIG_READ');
    expect(err.message).toBe(`${fixture('nope.json')}: cannot read the configuration file: no such file`);
  });
});

describe('the position-tracking JSON parser', () => {
  it('reads every fixture and example exactly as JSON.parse does', () => {
    const files = [
      ...examples.map((f) => `${examplesDir}${f}`),
      ...['broken', 'good', 'lint'].flatMap((d) => readdirSync(fixture(d)).map((f) => fixture(`${d}/${f}`))),
    ];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(parseJsonWithPositions(text, f).value, f).toEqual(JSON.parse(text));
    }
  });

  it('handles escapes, unicode, numbers, a BOM and __proto__ keys', () => {
    const text = '\ufeff{"a\\u00e9\\n": [1.5e3, -0, true, null, "\\"q\\""], "__proto__": {"x": 1}, "ü": "ß"}';
    const { value, positions } = parseJsonWithPositions(text);
    expect(value).toEqual(JSON.parse(text.slice(1)));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(positions.get('/aé\n/4')).toEqual({ value: { line: 1, column: 39 } });
    expect(positions.get('/__proto__/x')?.key).toEqual({ line: 1, column: 63 });
  });

  it('records key and value positions for every pointer, escaping / and ~', () => {
    const { positions } = parseJsonWithPositions('{\n  "a/b": {\n    "c~d": [10,\n      20]\n  }\n}');
    expect(positions.get('/a~1b')).toEqual({ key: { line: 2, column: 3 }, value: { line: 2, column: 10 } });
    expect(positions.get('/a~1b/c~0d')).toEqual({
      key: { line: 3, column: 5 },
      value: { line: 3, column: 12 },
    });
    expect(positions.get('/a~1b/c~0d/1')).toEqual({ value: { line: 4, column: 7 } });
  });
});
