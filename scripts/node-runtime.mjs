#!/usr/bin/env node
// Node.js binaries from the npm registry (the `node-<platform>-<arch>` packages ship the official `node`
// binary), and npm itself, cached by major version so the suite can run under another Node than the one on
// PATH without another download site. Library: ensureNode(major), ensureNpm(major). Command:
//   node scripts/node-runtime.mjs 24 node_modules/vitest/vitest.mjs run   # runs the args under Node 24
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache-dir.mjs';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error?.message || ''}`);
  }
  return result.stdout;
}

/** `npm pack <spec>` into a fresh directory under `parent`, unpacked; returns the package directory. */
function packAndUnpack(spec, parent) {
  const work = mkdtempSync(join(parent, '.fetch-'));
  const [packed] = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', work]));
  run('tar', ['-xzf', join(work, packed.filename), '-C', work]);
  return { work, dir: join(work, 'package'), version: packed.version };
}

function versionOf(node) {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The path of a cached `node` binary of this major version, fetched from the npm registry when missing. */
export function ensureNode(major) {
  const dir = cacheDir('node', String(major));
  const node = join(dir, 'bin', 'node');
  if (existsSync(node) && versionOf(node)?.startsWith(`v${major}.`)) return node;
  const spec = `node-${process.platform}-${process.arch}@${major}`;
  const { work, dir: unpacked } = packAndUnpack(spec, dir);
  try {
    rmSync(join(dir, 'bin'), { recursive: true, force: true });
    // A rename, so a concurrent run sees either no binary or a whole one.
    renameSync(join(unpacked, 'bin'), join(dir, 'bin'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!versionOf(node)?.startsWith(`v${major}.`)) throw new Error(`${spec}: ${node} does not run`);
  return node;
}

/** The directory of a cached npm package of this major version (bin/npm-cli.js inside). */
export function ensureNpm(major) {
  const dir = cacheDir('npm', String(major));
  const pkg = join(dir, 'package');
  if (existsSync(join(pkg, 'bin', 'npm-cli.js'))) return pkg;
  const { work, dir: unpacked } = packAndUnpack(`npm@${major}`, dir);
  try {
    renameSync(unpacked, pkg);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return pkg;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [major, ...args] = process.argv.slice(2);
  if (!major || !/^\d+$/.test(major) || args.length === 0) {
    console.error('usage: node scripts/node-runtime.mjs MAJOR SCRIPT [ARGS...]');
    process.exit(2);
  }
  const node = ensureNode(Number(major));
  console.log(`node-runtime: running under Node ${versionOf(node)} (${node})`);
  // First on PATH too, so what the tests spawn as `node` is the same version.
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
  const result = spawnSync(node, args, { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}
