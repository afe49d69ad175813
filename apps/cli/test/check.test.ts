import { execFile } from 'node:child_process';
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

describe('switchyard check', () => {
  it.each(examples)('accepts %s with "Syntax OK!" and exit 0, even with --lint', async (file) => {
    expect(await run(['check', '-c', file])).toEqual({ code: 0, stdout: 'Syntax OK!\n', stderr: '' });
    expect(await run(['check', '--lint', '-c', file])).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('prints the diagnostics and exits 1 for a broken file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(
      file,
      '{\n  "version": 3,\n  "endpoints": [\n    {\n      "endpoint": "/users/{id}",\n      "backend": [\n        {\n          "host": ["http://127.0.0.1:8000"],\n          "url_patern": "/users/{id}"\n        }\n      ]\n    }\n  ]\n}\n',
    );
    const r = await run(['check', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${file}:9:11 error /endpoints/0/backend/0/url_patern: unknown key; did you mean "url_pattern"?\n${file}: 1 error, 0 warnings\n`,
    );
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

  it('-d prints the parsed config with its defaults', async () => {
    const file = join(dir, 'minimal.json');
    await writeFile(file, '{ "version": 3 }');
    const r = await run(['check', '-d', '-c', file], { SWITCHYARD_PORT: '9000' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Parsed configuration (with defaults):\n${JSON.stringify({ version: 3, port: 9000, timeout: '2s', cache_ttl: '0s', output_encoding: 'json' }, null, 2)}\nSyntax OK!\n`,
    );
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

  it('refuses a missing -c or an unknown option', async () => {
    expect(await run(['check'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'switchyard check: missing -c FILE\nusage: switchyard check -c FILE [--lint] [-d]\n',
    });
    const r = await run(['check', '-c', examples[0] as string, '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown option "--strict"');
  });

  it('is listed in help', async () => {
    const r = await run(['help']);
    expect(r.stdout).toMatch(/^ {2}check +validate a gateway config file/m);
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
