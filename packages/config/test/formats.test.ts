import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, loadGatewayConfig, readConfigFile } from '@switchyard/config';
import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/formats/${p}`, import.meta.url));
const example = fileURLToPath(new URL('../../../examples/aggregation.json', import.meta.url));

async function failure(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    if (isSwitchyardError(err)) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError');
}

const listOf = (err: SwitchyardError) => (err.details?.diagnostics ?? []) as Diagnostic[];
const diagnostics = (err: SwitchyardError) => listOf(err).map((d) => `${d.line}:${d.column} ${d.pointer}`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-formats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config formats', () => {
  it('loads the same config from JSON, YAML and TOML, chosen by extension', async () => {
    const json = await loadGatewayConfig(example, { env: {}, lint: true });
    for (const file of ['aggregation.yaml', 'aggregation.toml']) {
      const other = await loadGatewayConfig(fixture(file), { env: {}, lint: true });
      expect(other.config, file).toEqual(json.config);
      expect(other.warnings, file).toEqual([]);
    }
    const yml = join(dir, 'krakend.yml');
    await writeFile(yml, 'version: 3\nendpoints: []\n');
    expect((await loadGatewayConfig(yml, { env: {} })).config.version).toBe(3);
  });

  it('knows where every value is in YAML and TOML, as in JSON', async () => {
    const json = await readConfigFile(example);
    for (const file of ['aggregation.yaml', 'aggregation.toml']) {
      const other = await readConfigFile(fixture(file));
      const missing = [...json.positions.keys()].filter((p) => !other.positions.has(p));
      expect(missing, file).toEqual([]);
    }
    const toml = await readConfigFile(fixture('aggregation.toml'));
    // [[endpoints.backend]] number 2 of endpoint 0 starts on line 41; its url_pattern is on line 43.
    expect(toml.positions.get('/endpoints/0/backend/1')?.value).toEqual({ line: 41, column: 1 });
    expect(toml.positions.get('/endpoints/0/backend/1/url_pattern')).toEqual({
      key: { line: 43, column: 1 },
      value: { line: 43, column: 15 },
    });
  });

  it('points YAML diagnostics at the right line and column (--lint: unknown keys and loose values are errors)', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'version: 3',
        'endpoints:',
        '  - endpoint: /a',
        '    backend:',
        '      - host: ["http://h"]',
        '        url_patern: /x',
        '        method: get',
        '',
      ].join('\n'),
    );
    const err = await failure(loadGatewayConfig(file, { env: {}, lint: true }));
    expect(err.code).toBe('SWY_CONFIG_INVALID');
    expect(diagnostics(err)).toContain('6:9 /endpoints/0/backend/0/url_patern');
    expect(diagnostics(err)).toContain('7:17 /endpoints/0/backend/0/method');
    expect(listOf(err)[0]?.file).toBe(file);
  });

  it('points TOML diagnostics at the right line, in tables, arrays of tables and inline tables', async () => {
    const file = join(dir, 'bad.toml');
    await writeFile(
      file,
      [
        'version = 3',
        'timeout = "2 seconds"',
        '',
        '[[endpoints]]',
        'endpoint = "/a"',
        'backend = [',
        '  { host = ["http://h"], url_pattern = "/x" },',
        '  { host = ["http://h"], url_patern = "/y" },',
        ']',
        '',
        '[[endpoints]]',
        'endpoint = "/b"',
        '[[endpoints.backend]]',
        'host = ["http://h"]',
        'url_pattern = "/z"',
        'encoding = "jsn"',
        '',
      ].join('\n'),
    );
    const err = await failure(loadGatewayConfig(file, { env: {} }));
    const found = diagnostics(err);
    expect(found).toContain('2:11 /timeout');
    expect(found).toContain('8:26 /endpoints/0/backend/1/url_patern');
    expect(found).toContain('16:12 /endpoints/1/backend/0/encoding');
  });

  it('reports YAML and TOML syntax errors with file:line:column', async () => {
    const yaml = join(dir, 'syntax.yaml');
    await writeFile(yaml, 'version: 3\nendpoints:\n  - endpoint: /a\n    backend: x: y\n');
    const y = await failure(loadGatewayConfig(yaml, { env: {} }));
    expect(y.code).toBe('SWY_CONFIG_PARSE');
    expect(y.message).toMatch(new RegExp(`^${yaml}:4:\\d+: invalid YAML: `));
    const dup = join(dir, 'dup.yaml');
    await writeFile(dup, 'version: 3\nport: 1\nport: 2\n');
    expect((await failure(loadGatewayConfig(dup, { env: {} }))).message).toMatch(
      /dup\.yaml:3:1: invalid YAML: Map keys must be unique/,
    );
    const toml = join(dir, 'syntax.toml');
    await writeFile(toml, 'version = 3\nport = \n');
    const t = await failure(loadGatewayConfig(toml, { env: {} }));
    expect(t.code).toBe('SWY_CONFIG_PARSE');
    expect(t.message).toMatch(new RegExp(`^${toml}:2:\\d+: invalid TOML: `));
  });

  it('bounds YAML alias expansion', async () => {
    const file = join(dir, 'bomb.yaml');
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    await writeFile(file, `${lines.join('\n')}\n`);
    const err = await failure(loadGatewayConfig(file, { env: {} }));
    expect(err.code).toBe('SWY_CONFIG_PARSE');
  });
});
