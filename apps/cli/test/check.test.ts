import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { main } from '@switchyard/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = ['aggregation', 'sequential', 'static', 'no-op', 'flatmap'].map(
  (n) => `${root}examples/${n}.json`,
);

/** Runs `switchyard <args>` in-process with captured output. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env,
    stopSignal: new Promise(() => {}),
  });
  return { code, stdout, stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * The broken fixtures of the config package, and whether KrakenD's plain `check` accepts them (it parses
 * and initialises the config as `run` does, without building routes); `check --lint` refuses them all.
 */
const fixtures = `${root}packages/config/test/fixtures/broken/`;
const KRAKEND_CHECK: Record<string, 'Syntax OK!' | 'refused'> = {
  'backend-not-array.json': 'Syntax OK!', // weak decoding lifts the object into a list of one
  'backend-unknown-key.json': 'Syntax OK!', // unknown keys are ignored
  'bad-duration.json': 'refused', // time.ParseDuration fails in the decode hook
  'circuit-breaker-missing.json': 'Syntax OK!', // namespaces are read by their components at run
  'concurrent-calls-zero.json': 'Syntax OK!', // 0 is the default, 1
  'duplicate-endpoint.json': 'Syntax OK!', // only gin refuses it, when run (or check -t) registers routes
  'encoding-typo.json': 'Syntax OK!', // an unknown encoding decodes as json
  'endpoint-no-slash.json': 'Syntax OK!', // lura's CleanPath adds the "/"
  'flatmap-bad-op.json': 'Syntax OK!',
  'host-not-array.json': 'Syntax OK!', // a single value is a list of one
  'method-lowercase.json': 'Syntax OK!', // the router upper-cases the method
  'namespace-bad-duration.json': 'Syntax OK!',
  'no-backends.json': 'refused', // NoBackendsError
  'no-host.json': 'Syntax OK!', // fails at request time
  'noop-output-two-backends.json': 'refused', // errInvalidNoOpEncoding
  'output-encoding-typo.json': 'Syntax OK!', // the router falls back to json
  'param-twice.json': 'Syntax OK!', // the router keeps the first value
  'port-range.json': 'Syntax OK!', // refused only when listening
  'port-string.json': 'Syntax OK!', // weak decoding
  'proxy-unknown-key.json': 'Syntax OK!',
  'ratelimit-strategy-typo.json': 'Syntax OK!',
  'reserved-endpoint.json': 'refused', // EndpointPathError
  'root-array.json': 'refused', // not a configuration object
  'root-unknown-key.json': 'Syntax OK!',
  'static-bad-strategy.json': 'Syntax OK!',
  'url-param-typo.json': 'refused', // UndefinedOutputParamError
  'url-param-undefined.json': 'refused', // UndefinedOutputParamError
  'version-2.json': 'refused', // UnsupportedVersionError
  'version-missing.json': 'refused', // version 0
};

describe('check and check --lint on the same files', () => {
  it('covers every broken fixture', () => {
    expect(readdirSync(fixtures).sort()).toEqual(Object.keys(KRAKEND_CHECK).sort());
  });

  it.each(Object.entries(KRAKEND_CHECK))(
    '%s: plain check says what KrakenD check says (%s); --lint refuses it',
    async (name, verdict) => {
      const plain = await run(['check', '-c', `${fixtures}${name}`]);
      expect(plain.code).toBe(verdict === 'refused' ? 1 : 0);
      expect(plain.stdout).toBe(verdict === 'refused' ? '' : 'Syntax OK!\n');
      const lint = await run(['check', '--lint', '-c', `${fixtures}${name}`]);
      expect(lint.code).toBe(1);
      expect(lint.stderr).toMatch(/ error /);
    },
  );
});

describe('switchyard check', () => {
  it.each(examples)('accepts %s with "Syntax OK!" and exit 0, even with --lint', async (file) => {
    expect(await run(['check', '-c', file])).toEqual({ code: 0, stdout: 'Syntax OK!\n', stderr: '' });
    expect(await run(['check', '--lint', '-c', file])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('--lint prints the diagnostics and exits 1 for an unknown key; plain check warns and says Syntax OK!, as KrakenD', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(
      file,
      '{\n  "version": 3,\n  "endpoints": [\n    {\n      "endpoint": "/users/{id}",\n      "backend": [\n        {\n          "host": ["http://127.0.0.1:8000"],\n          "url_patern": "/users/{id}"\n        }\n      ]\n    }\n  ]\n}\n',
    );
    const r = await run(['check', '--lint', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${file}:9:11 error /endpoints/0/backend/0/url_patern: unknown key; did you mean "url_pattern"?\n${file}: 1 error, 0 warnings\n`,
    );
    expect(await run(['check', '-c', file])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: `${file}:9:11 warning /endpoints/0/backend/0/url_patern: unknown key; ignored; did you mean "url_pattern"?\n`,
    });
  });

  it('prints warnings to stderr and still exits 0', async () => {
    const file = join(dir, 'warn.json');
    await writeFile(file, '{\n  "version": 3,\n  "extra_config": { "telemetry/influx": {} }\n}\n');
    const r = await run(['check', '-c', file]);
    expect(r).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: `${file}:3:21 warning /extra_config/telemetry~1influx: namespace "telemetry/influx" is not implemented by Switchyard; ignored\n`,
    });
  });

  it('-d prints the parsed config, every default filled in at every level, as JSON on stdout only', async () => {
    const file = join(dir, 'minimal.json');
    await writeFile(
      file,
      '{ "version": 3, "host": ["http://h"], "timeout": "3s", "endpoints": [{ "endpoint": "/a", "method": "POST", "extra_config": { "qos/ratelimit/router": { "max_rate": 10, "client_max_rate": 1 } }, "backend": [{ "url_pattern": "/x" }] }] }',
    );
    const r = await run(['check', '-d', '-c', file], { SWITCHYARD_PORT: '9000' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Syntax OK!\n');
    const expected = {
      version: 3,
      host: ['http://h'],
      timeout: '3s',
      endpoints: [
        {
          endpoint: '/a',
          method: 'POST',
          extra_config: {
            'qos/ratelimit/router': { max_rate: 10, client_max_rate: 1, every: '1s', strategy: 'ip' },
          },
          backend: [{ url_pattern: '/x', method: 'POST', host: ['http://h'], encoding: 'json' }],
          timeout: '3s',
          cache_ttl: '0s',
          output_encoding: 'json',
          concurrent_calls: 1,
        },
      ],
      port: 9000,
      cache_ttl: '0s',
      output_encoding: 'json',
    };
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(r.stdout).toBe(`${JSON.stringify(expected, null, '\t')}\n`);
    // -i: a number of spaces, or the text itself; the output checks again as a valid config.
    const spaced = await run(['check', '-d', '-i', '2', '-c', file]);
    expect(spaced.stdout).toMatch(/^{\n {2}"version": 3,/);
    const again = join(dir, 'again.json');
    await writeFile(again, spaced.stdout);
    expect(await run(['check', '--lint', '-c', again])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('-t builds the routes and pipelines as run does, and says which endpoints run would answer 500', async () => {
    const file = join(dir, 'jwk.json');
    await writeFile(
      file,
      JSON.stringify({
        version: 3,
        host: ['http://127.0.0.1:9'],
        endpoints: [
          {
            endpoint: '/a',
            extra_config: {
              'auth/validator': { alg: 'RS256', jwk_local_path: join(dir, 'no-such-jwks.json') },
            },
            backend: [{ url_pattern: '/x' }],
          },
        ],
      }),
    );
    expect((await run(['check', '-c', file])).code).toBe(0);
    const t = await run(['check', '-t', '-c', file]);
    expect(t).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: `GET /a: not served (endpoints[0] (GET /a): cannot read jwk_local_path ${join(dir, 'no-such-jwks.json')}); it answers 500\n`,
    });
    const twice = join(dir, 'twice.json');
    await writeFile(
      twice,
      JSON.stringify({
        version: 3,
        host: ['http://127.0.0.1:9'],
        endpoints: [
          { endpoint: '/a/{x}', backend: [{ url_pattern: '/x' }] },
          { endpoint: '/a/{y}', backend: [{ url_pattern: '/y' }] },
        ],
      }),
    );
    expect((await run(['check', '-c', twice])).code).toBe(0);
    const refused = await run(['check', '-t', '-c', twice]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERROR testing the configuration file:\n\t');
    expect(refused.stderr).toContain('conflicts with GET /a/{x}');
    expect(await run(['check', '-t', '--lint-no-network', '-c', examples[0] as string])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('-l, -n and -s are one choice, as in KrakenD; -s lints against a JSON Schema file', async () => {
    const both = await run(['check', '-l', '-n', '-c', examples[0] as string]);
    expect(both.code).toBe(255);
    expect(both.stderr).toMatch(/none of the others can be; \[lint lint-no-network\] were all set/);
    const schema = join(dir, 'schema.json');
    await writeFile(schema, JSON.stringify({ type: 'object', required: ['name'] }));
    const file = join(dir, 'noname.json');
    await writeFile(file, '{ "version": 3 }');
    expect(await run(['check', '-s', schema, '-c', file])).toEqual({
      code: 1,
      stdout: '',
      stderr: `ERROR linting the configuration file against ${schema}:\n\t/: must have required property 'name'\n`,
    });
    const remote = await run(['check', '-s', 'https://www.krakend.io/schema/krakend.json', '-c', file]);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/check reads no network/);
  });

  it('reports unparsable and missing files with exit 1', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{ "version": 3, }');
    expect(await run(['check', '-c', file])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${file}:1:17: invalid JSON: expected another key after "," (trailing commas are not JSON), found '}'\n`,
    });
    const missing = await run(['check', '-c', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `${join(dir, 'nope.json')}: cannot read the configuration file: no such file\n`,
    );
  });

  it('refuses a missing -c (exit 1) or an unknown flag (exit 255, as cobra), listing the flags', async () => {
    expect(await run(['check'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Please, provide the path to the configuration file with --config or see all the options with --help\n',
    });
    const r = await run(['check', '-c', examples[0] as string, '--strict']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^switchyard check: unknown flag: --strict\nusage of switchyard check:\n/);
    expect(r.stderr).toContain('-t, --test-gin-routes');
  });

  it("answers to KrakenD's alias validate", async () => {
    expect(await run(['validate', '-c', examples[0] as string])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('is listed in help', async () => {
    const r = await run(['help']);
    expect(r.stdout).toMatch(/^ {2}check +validate a gateway config /m);
  });

  it('works as the built bin (npx switchyard check)', async () => {
    const bin = `${root}apps/cli/bin/switchyard.js`;
    const ok = await promisify(execFile)(process.execPath, [bin, 'check', '-c', examples[0] as string], {
      cwd: root,
    });
    expect(ok.stdout).toBe('Syntax OK!\n');
    const file = join(dir, 'version.json');
    await writeFile(file, '{ "version": 2 }');
    const failed = await promisify(execFile)(process.execPath, [bin, 'check', '-c', file]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `${file}:1:14 error /version: expected 3, got 2; Switchyard reads KrakenD configuration files of version 3\n${file}: 1 error, 0 warnings\n`,
    );
  });
});
