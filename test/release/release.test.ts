import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExample, until } from './support/release.js';

// The release check: what a user gets from `npm install @switchyard/cli` (or `npx`), tried outside the
// repository. Every workspace package is packed, the tarballs are installed into an empty directory
// (third-party dependencies from the npm registry), and there the CLI and the READMEs' examples run.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const PACKAGES = [
  '@switchyard/shared',
  '@switchyard/kafka',
  '@switchyard/config',
  '@switchyard/gateway',
  '@switchyard/event-proxy',
];
const CLI = '@switchyard/cli';

const work = mkdtempSync(join(tmpdir(), 'swy-release-'));
const packs = join(work, 'packs');
const app = join(work, 'app');
let tarballs: string[] = [];
let demo: ChildProcess | undefined;

const installed = (name: string) => join(app, 'node_modules', name);
// Without the npm_* variables of the `npm test` (or npx) this runs under: they name the repository as
// the local prefix and its package, and the installs here must see only the empty directory.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const exec = (cmd: string, args: string[], cwd = app) =>
  run(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  // dist/ is built by the global setup (test/support/global-setup.ts) before any project runs.
  mkdirSync(packs);
  await exec('npm', ['pack', '--workspaces', '--pack-destination', packs, '--silent'], ROOT);
  tarballs = readdirSync(packs).map((f) => join(packs, f));
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
  // Our packages only from the tarballs (none of them is on the registry, so a fetch of one would fail).
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs]);
}, 180_000);

afterAll(async () => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('are one tarball per workspace package, each with its LICENSE, README, dist and src', () => {
    expect(tarballs).toHaveLength(PACKAGES.length + 1);
    for (const name of [...PACKAGES, CLI]) {
      const dir = installed(name);
      for (const file of [
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'src/index.ts',
      ]) {
        expect(existsSync(join(dir, file)), `${name}/${file}`).toBe(true);
      }
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    }
  });

  it('ship every file their source and declaration maps point at', () => {
    const missing: string[] = [];
    for (const name of [...PACKAGES, CLI]) {
      const dist = join(installed(name), 'dist');
      const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.map'));
      expect(maps.length, name).toBeGreaterThan(0);
      for (const map of maps) {
        const { sources } = JSON.parse(readFileSync(join(dist, map), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const target = resolve(dirname(join(dist, map)), source);
          if (!existsSync(target)) missing.push(`${name}/dist/${map} → ${source}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('install no type packages or dev tools as runtime dependencies', () => {
    // kafkajs is not among them: the gateway's kafka:// subscriber runs on it (imported only when configured).
    // @types/node is not either: protobufjs (under the OpenTelemetry gRPC exporters) depends on it; ours must not.
    for (const dev of ['@types/amqplib', 'pino-pretty', 'typescript', 'vitest', 'kafkajs-snappy']) {
      expect(existsSync(installed(dev)), dev).toBe(false);
    }
    for (const name of [...PACKAGES, CLI]) {
      const { dependencies = {} } = JSON.parse(
        readFileSync(join(installed(name), 'package.json'), 'utf8'),
      ) as {
        dependencies?: Record<string, string>;
      };
      expect(
        Object.keys(dependencies).filter((d) => d.startsWith('@types/')),
        name,
      ).toEqual([]);
    }
  });

  it('log JSON lines where pino-pretty is not installed, and say once how to get readable ones', async () => {
    const file = join(app, 'pretty-fallback.mjs');
    writeFileSync(
      file,
      "import { createLogger } from '@switchyard/shared';\n" +
        "createLogger({ pretty: true }).info('one');\ncreateLogger({ pretty: true }).info('two');\n",
    );
    const { stdout } = await exec(process.execPath, [file]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    // Two loggers, two output streams: their lines may interleave either way.
    const note = (l: string) => l.startsWith('pino-pretty is not installed: logging JSON lines');
    expect(lines.filter(note)).toHaveLength(1);
    expect(lines.filter((l) => !note(l)).sort()).toEqual(['one', 'two']);
  });

  it('have types that resolve for ESM consumers (attw)', async () => {
    const failures: string[] = [];
    for (const tarball of tarballs) {
      try {
        const attw = join(ROOT, 'node_modules/.bin/attw');
        await exec(attw, ['--profile', 'esm-only', '--format', 'ascii', tarball], ROOT);
      } catch (err) {
        failures.push(`${tarball}:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('the switchyard command, installed', () => {
  const bin = () => join(app, 'node_modules', '.bin', 'switchyard');

  it('version', async () => {
    const { stdout } = await exec(bin(), ['version']);
    const version = JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8')).version as string;
    expect(stdout).toBe(`switchyard ${version} (node ${process.version})\n`);
  });

  it('npx @switchyard/cli runs the installed bin', async () => {
    const { stdout } = await exec('npx', ['--no', CLI, 'version']);
    expect(stdout).toMatch(/^switchyard \d+\.\d+\.\d+ /);
  });

  it('check, on the example the package ships', async () => {
    const example = join(installed(CLI), 'dist/examples/aggregation.json');
    const { stdout } = await exec(bin(), ['check', '-c', example]);
    expect(stdout).toBe('Syntax OK!\n');
  });

  it('demo: answers a request through the gateway, writes its events, stops on SIGINT', async () => {
    const events = join(app, 'demo-events.ndjson');
    const child = spawn(bin(), ['demo', '-p', '0', '--admin-listen', '127.0.0.1:0', '--events', events], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = child;
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    await until(() => /gateway +http:\/\/127\.0\.0\.1:\d+/.test(out) || child.exitCode !== null, 20_000);
    const base = /gateway +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(base, `demo output:\n${out}\n${err}`).toBeDefined();

    const res = await fetch(`${base}/users/1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 1,
      name: 'Ada Lovelace',
      orders: [{ order_id: 'o-1' }, { order_id: 'o-2' }],
    });

    const lines = () =>
      existsSync(events)
        ? readFileSync(events, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { event_type: string; data: { path?: string } })
        : [];
    await until(() => lines().some((e) => e.event_type === 'response' && e.data.path === '/users/1'), 10_000);
    expect(
      lines()
        .filter((e) => e.data.path === '/users/1')
        .map((e) => e.event_type),
    ).toEqual(['request', 'response']);

    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain(`Stopped. The events are in ${events}`);
  }, 60_000);
});

describe("the READMEs' library examples, run against the installed packages", () => {
  for (const name of [...PACKAGES, CLI]) {
    it(name, async () => {
      const { code, output } = readmeExample(readFileSync(join(installed(name), 'README.md'), 'utf8'));
      const file = join(app, `example-${name.split('/')[1]}.mjs`);
      writeFileSync(file, code);
      const { stdout } = await exec(process.execPath, [file]);
      expect(stdout.trim()).toBe(output);
    }, 30_000);
  }
});
