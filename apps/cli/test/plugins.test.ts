import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { main } from '@switchyard/cli';
import { VERSION } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = (name: string) => `${root}examples/plugins/${name}`;
const fixture = (name: string) => `${root}packages/gateway/test/support/plugins/${name}`;

/** Runs `switchyard <args>` in-process with captured output. */
async function run(args: string[]) {
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
    env: {},
    stopSignal: new Promise(() => {}),
  });
  return { code, stdout, stderr };
}

/** The `[OK] …` / `[KO] …` lines without the timing KrakenD prints. */
const lines = (out: string) =>
  out
    .replace(/ in \d+ms/g, '')
    .trimEnd()
    .split('\n');

describe('switchyard test-plugin', () => {
  it('reports each expected kind a module holds, as KrakenD does', async () => {
    const r = await run(['test-plugin', '-sm', example('server-hello.mjs'), example('modifiers.mjs')]);
    expect(lines(r.stdout)).toEqual([
      '[OK] SERVER\tserver-hello.mjs',
      '[KO] MODIFIER\tserver-hello.mjs: The plugin does not contain a request-modifier or response-modifier plugin.',
      '[KO] SERVER\tmodifiers.mjs: The plugin does not contain a http-server plugin.',
      '[OK] MODIFIER\tmodifiers.mjs',
      '[KO] 2 tested plugin(s).',
      '2 plugin(s) failed.',
    ]);
    expect(r.code).toBe(1);
  });

  it('passes modules that hold what is asked, and fails one that cannot load, naming its file', async () => {
    const ok = await run(['test-plugin', '-c', example('client-headers.mjs')]);
    expect(lines(ok.stdout)).toEqual(['[OK] CLIENT\tclient-headers.mjs', '[OK] 1 tested plugin(s)']);
    expect(ok.code).toBe(0);
    const broken = await run(['test-plugin', '--client', fixture('broken-import.mjs')]);
    expect(lines(broken.stdout)[0]).toBe(
      `[KO] CLIENT\tbroken-import.mjs: plugin module ${fixture('broken-import.mjs')}: cannot be imported: this module cannot start`,
    );
    expect(broken.code).toBe(1);
  });

  it('works as the built bin: the examples import @switchyard/gateway as any plugin package does', async () => {
    const bin = `${root}apps/cli/bin/switchyard.js`;
    const args = [
      bin,
      'test-plugin',
      '-scm',
      example('server-hello.mjs'),
      example('client-headers.mjs'),
      example('modifiers.mjs'),
    ];
    const r = await promisify(execFile)(process.execPath, args, { cwd: root }).catch((e) => e);
    expect(lines(r.stdout).filter((l: string) => l.startsWith('[OK] ') && l.includes('\t'))).toEqual([
      '[OK] SERVER\tserver-hello.mjs',
      '[OK] CLIENT\tclient-headers.mjs',
      '[OK] MODIFIER\tmodifiers.mjs',
    ]);
  });

  it('needs a module and an expected kind', async () => {
    expect(await run(['test-plugin', '-s'])).toMatchObject({
      code: 1,
      stdout: 'At least one plugin is required.\n',
    });
    expect(await run(['test-plugin', example('modifiers.mjs')])).toMatchObject({
      code: 1,
      stdout: 'You must declare the expected type of the plugin.\n',
    });
  });
});

describe('switchyard check-plugin', () => {
  let dir: string;
  const manifest = async (value: unknown) => {
    const file = join(dir, `package-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(value));
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-plugin-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds no incompatibility when the ranges admit this Switchyard and Node, and lists the plugins', async () => {
    const file = await manifest({
      peerDependencies: { '@switchyard/gateway': `^${VERSION}` },
      engines: { node: '>=20' },
    });
    const r = await run(['check-plugin', '-s', file, example('modifiers.mjs')]);
    expect(r.stdout).toBe(
      `${example('modifiers.mjs')}: request-modifier "require-header"\n${example('modifiers.mjs')}: response-modifier "add-fields"\nNo incompatibilities found!\n`,
    );
    expect(r.code).toBe(0);
  });

  it('lists each incompatibility with have/want, or with -f the command that fixes it', async () => {
    const file = await manifest({
      dependencies: { '@switchyard/gateway': '^99.0.0' },
      engines: { node: '<10' },
    });
    const r = await run(['check-plugin', '--sum', file, fixture('no-plugins.mjs')]);
    expect(r.stdout).toBe(
      `@switchyard/gateway\n\thave: ^99.0.0\n\twant: ${VERSION}\nnode\n\thave: <10\n\twant: ${process.versions.node}\n` +
        `${fixture('no-plugins.mjs')}\n\thave: plugin module ${fixture('no-plugins.mjs')}: the default export has type "teapot" (expected one of http-server, http-client, request-modifier, response-modifier)\n\twant: a default export of plugins (docs/plugins.md)\n` +
        '3 incompatibilities found\n',
    );
    expect(r.code).toBe(1);
    const fix = await run(['check-plugin', '-f', '-s', file]);
    expect(fix.stdout.split('\n')[0]).toBe(`npm install @switchyard/gateway@${VERSION}`);
    expect(fix.code).toBe(1);
  });

  it('says when the package.json cannot be read', async () => {
    const r = await run(['check-plugin', '-s', join(dir, 'missing.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.json: ENOENT');
  });
});

describe('switchyard check -t with plugins', () => {
  it('loads the plugin folder as run does: only an endpoint naming a plugin that is not there is reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swy-plugin-check-'));
    const file = join(dir, 'krakend.json');
    const modifiers = (name: string) => ({ 'plugin/req-resp-modifier': { name: [name] } });
    await writeFile(
      file,
      JSON.stringify({
        version: 3,
        plugin: { folder: `${root}examples/plugins`, pattern: '.mjs' },
        host: ['http://127.0.0.1:1'],
        endpoints: [
          { endpoint: '/a', extra_config: modifiers('add-fields'), backend: [{ url_pattern: '/a' }] },
          { endpoint: '/b', extra_config: modifiers('missing'), backend: [{ url_pattern: '/b' }] },
        ],
      }),
    );
    const r = await run(['check', '-t', '-c', file]);
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('GET /a');
    expect(r.stderr).toContain(
      'GET /b: not served (endpoints[1] (GET /b): plugin/req-resp-modifier: no loaded plugin is named "missing"); it answers 500',
    );
  });
});
