#!/usr/bin/env node
// Prepares what the benchmarks compare against, idempotently: nginx (apt-get, when missing), the reference
// reverse proxy of `npm run bench:gateway`'s (e) scenario. Run by the bench when it needs it, or alone with
// `npm run bench:setup`. One line per step; exits 1 with the reason when a step cannot be done.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const step = (name, outcome) => console.error(`bench-setup: ${name.padEnd(8)} ${outcome}`);

function fail(message) {
  console.error(`bench-setup: FAILED: ${message}`);
  process.exit(1);
}

const run = (command, args, options = {}) => spawnSync(command, args, { encoding: 'utf8', ...options });

/** The path of `command` on PATH or in the sbin folders (nginx lives in /usr/sbin), or undefined. */
export function which(command) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'].filter(Boolean);
  return dirs.map((dir) => join(dir, command)).find((path) => existsSync(path));
}

// apt-get as root, through sudo when that works without a password, or a clear refusal.
function aptGet(args) {
  const isRoot = process.getuid?.() === 0;
  const canSudo = !isRoot && which('sudo') && run('sudo', ['-n', 'true']).status === 0;
  if (!isRoot && !canSudo) fail(`need root (or password-less sudo) to run: apt-get ${args.join(' ')}`);
  const [command, fullArgs] = isRoot ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
  return run(command, fullArgs, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const hasPackageLists = () => {
  try {
    return readdirSync('/var/lib/apt/lists').some((name) => name.endsWith('_Packages'));
  } catch {
    return false;
  }
};

export function ensureNginx() {
  if (which('nginx')) return step('nginx', 'ok');
  if (!which('apt-get')) fail('nginx not found and no apt-get; install nginx with your package manager');
  step('nginx', 'installing (apt-get)');
  const install = () => aptGet(['install', '-y', '--no-install-recommends', 'nginx']).status === 0;
  if (!hasPackageLists() && aptGet(['update']).status !== 0) fail('apt-get update failed');
  if (!install() && (aptGet(['update']).status !== 0 || !install())) fail('apt-get install nginx failed');
  // The package starts a system nginx on port 80; the bench runs its own.
  run('service', ['nginx', 'stop'], { stdio: 'ignore' });
  if (!which('nginx')) fail('nginx installed but not found');
  step('nginx', 'installed');
}

if (import.meta.url === `file://${process.argv[1]}`) ensureNginx();
