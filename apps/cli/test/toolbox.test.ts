import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The commands of KrakenD's Docker image page and CI docs, with `switchyard` in place of `krakend`,
// run as the built bin in a real shell, as a Dockerfile's RUN runs them.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}apps/cli/bin/switchyard.js`;
const fcTree = `${root}packages/config/test/fixtures/flexible`;
const example = `${root}examples/aggregation.json`;

/** Runs a shell line with `switchyard` on the PATH-free form `node bin`; resolves to code and output. */
function sh(line: string, env: NodeJS.ProcessEnv = {}, cwd = root) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    // stdin from /dev/null: bash reads ~/.bashrc when its stdin looks like a network socket.
    const child = spawn('bash', ['--norc', '--noprofile', '-c', line], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, SWITCHYARD: `${process.execPath} ${bin}`, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-toolbox-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("KrakenD's documented commands, with switchyard", () => {
  it('RUN switchyard check -t --lint-no-network -c krakend.json', async () => {
    await writeFile(join(dir, 'krakend.json'), await readFile(example));
    expect(await sh('$SWITCHYARD check -t --lint-no-network -c krakend.json', {}, dir)).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('the Flexible Configuration multi-stage build: render with check -d -t, then lint FC_OUT', async () => {
    const out = join(dir, 'tmp', 'krakend.json');
    const stage1 = await sh(
      `FC_ENABLE=1 FC_OUT=${out} FC_PARTIALS="config/partials" FC_SETTINGS="config/settings/$ENV" FC_TEMPLATES="config/templates" $SWITCHYARD check -d -t -c krakend.tmpl`,
      { ENV: 'prod', DEPLOY_ENV: 'production' },
      fcTree,
    );
    expect(stage1.code).toBe(0);
    expect(stage1.stderr).toBe('Syntax OK!\n');
    const expected = JSON.parse(await readFile(join(fcTree, 'expected/prod.json'), 'utf8'));
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(expected);
    // -d printed the same config, defaults filled in
    expect(JSON.parse(stage1.stdout)).toMatchObject({
      name: expected.name,
      port: 8080,
      output_encoding: 'json',
    });
    expect(await sh(`$SWITCHYARD check -c ${out} --lint`)).toEqual({
      code: 0,
      stdout: 'Syntax OK!\n',
      stderr: '',
    });
  });

  it('check -d -c f.json | jq . works', async () => {
    const r = await sh(
      `set -o pipefail; $SWITCHYARD check -d -c ${example} | jq -c '{v: .version, m: [.endpoints[].method]}'`,
    );
    expect(r).toEqual({ code: 0, stdout: '{"v":3,"m":["GET","GET","POST"]}\n', stderr: 'Syntax OK!\n' });
  });

  it('does not crash on EPIPE when the reader closes the pipe early', async () => {
    // Large enough that the output cannot fit in the pipe before head exits.
    const endpoints = Array.from({ length: 3000 }, (_, i) => ({
      endpoint: `/e${i}`,
      backend: [{ host: ['http://127.0.0.1:9'], url_pattern: `/x${i}` }],
    }));
    const big = join(dir, 'big.json');
    await writeFile(big, JSON.stringify({ version: 3, endpoints }));
    const r = await sh(
      `$SWITCHYARD check -d -c ${big} 2>${dir}/err | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`,
    );
    expect(r.stdout).toBe('0\n');
    expect(await readFile(join(dir, 'err'), 'utf8')).toBe('Syntax OK!\n');
  });

  it('audit: findings on stderr with rule ids and severities; exit 1 only for the chosen severities', async () => {
    const all = await sh(`$SWITCHYARD audit -c ${example}`);
    expect(all.code).toBe(1);
    expect(all.stdout).toBe('');
    expect(all.stderr).toContain('2.2.2\t[HIGH]   \tEnable CORS (security/cors).\n');
    expect(all.stderr).not.toContain('3.1.2'); // the example has a rate limit and a circuit breaker
    expect(all.stderr).not.toContain('3.1.3');
    expect(await sh(`$SWITCHYARD audit -s CRITICAL -c ${example}`)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const ignored = await sh(
      `$SWITCHYARD audit --severity HIGH -i 1.2.1,2.1.2,2.2.2 -f '{{ range .Recommendations }}{{ .Rule }} {{ end }}' -c ${example}`,
    );
    expect(ignored).toEqual({ code: 1, stdout: '', stderr: 'S.1.2 ' });
  });

  it('refuses an unknown flag with exit 255, as cobra does', async () => {
    const r = await sh(`$SWITCHYARD run --bogus -c ${example}`);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/^switchyard run: unknown flag: --bogus\nusage of switchyard run:\n/);
  });
});
