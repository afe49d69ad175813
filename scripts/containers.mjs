// Rootful podman as the tests use it (DESIGN.md > Test infrastructure), and the local base image the
// project's images are built on when no image registry is reachable.
//
// podmanEnv(): the environment for every podman call: a containers.conf of our own (runc, because crun
// fails on hybrid cgroup hierarchies; cgroupfs and a file events logger, as there is no systemd; a nofile
// limit high enough for Node and Kafka).
// ensureBaseImage(): `localhost/switchyard-base:node<major>-bookworm`, the shape of `node:<major>-slim`
// (Debian bookworm, node + npm in /usr/local, user `node` uid/gid 1000), from `debootstrap --variant=minbase`
// plus Node and npm from the npm registry. Labelled with a key of its recipe: rebuilt only when that changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache-dir.mjs';
import { ensureNode, ensureNpm } from './node-runtime.mjs';

export const NODE_MAJOR = 24;
const NPM_MAJOR = 11;
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
export const BASE_IMAGE = `localhost/switchyard-base:node${NODE_MAJOR}-${SUITE}`;
const KEY_LABEL = 'org.switchyard.base-key';

// podman asks for a higher process limit than this sandbox lets runc set (anything above the kernel's
// pid_max is refused even to root): containers get this process's own limit, at most pid_max.
function nprocLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max processes'));
  const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const cap = (v) => Math.min(v === undefined || v === 'unlimited' ? pidMax : Number(v), pidMax);
  return `${cap(soft)}:${cap(hard)}`;
}

const CONTAINERS_CONF = `# Written by scripts/containers.mjs for the project's tests.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=${nprocLimit()}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/** process.env plus CONTAINERS_CONF pointing at the tests' own containers.conf (written when missing). */
export function podmanEnv() {
  const file = join(cacheDir('podman'), 'containers.conf');
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== CONTAINERS_CONF) writeFileSync(file, CONTAINERS_CONF);
  return { ...process.env, CONTAINERS_CONF: file };
}

/** Runs podman; returns { status, stdout, stderr }. */
export function podman(args, options = {}) {
  const result = spawnSync('podman', args, {
    encoding: 'utf8',
    env: podmanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? result.error?.message,
  };
}

// What the base is made of: any change here gives a new key and so a rebuild.
function recipeKey(nodeVersion, npmVersion) {
  const recipe = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  return createHash('sha256')
    .update([SUITE, MIRROR, nodeVersion, npmVersion, recipe].join('\n'))
    .digest('hex')
    .slice(0, 16);
}

function must(result, what) {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

// The user node:*-slim images have: uid/gid 1000, home /home/node.
function addNodeUser(rootfs) {
  appendFileSync(join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
  appendFileSync(join(rootfs, 'etc/group'), 'node:x:1000:\n');
  appendFileSync(join(rootfs, 'etc/shadow'), 'node:!:19000:0:99999:7:::\n');
  mkdirSync(join(rootfs, 'home/node'), { recursive: true });
  spawnSync('chown', ['1000:1000', join(rootfs, 'home/node')]);
}

function installNode(rootfs, node, npm) {
  const bin = join(rootfs, 'usr/local/bin');
  mkdirSync(bin, { recursive: true });
  cpSync(node, join(bin, 'node'));
  chmodSync(join(bin, 'node'), 0o755);
  cpSync(npm, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(bin, 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(bin, 'npx'));
}

/**
 * Makes sure the base image exists and matches its recipe; returns { image, built, seconds }.
 * `log` receives one line per phase.
 */
export function ensureBaseImage(log = () => {}) {
  const started = Date.now();
  const node = ensureNode(NODE_MAJOR);
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const npm = ensureNpm(NPM_MAJOR);
  const npmVersion = JSON.parse(readFileSync(join(npm, 'package.json'), 'utf8')).version;
  const key = recipeKey(nodeVersion, npmVersion);
  const existing = podman(['image', 'inspect', '--format', `{{ index .Labels "${KEY_LABEL}" }}`, BASE_IMAGE]);
  if (existing.status === 0 && existing.stdout.trim() === key) {
    return { image: BASE_IMAGE, built: false, seconds: 0 };
  }

  const work = mkdtempSync(join(cacheDir('base'), 'rootfs-'));
  const rootfs = join(work, 'rootfs');
  try {
    log(`debootstrap --variant=minbase ${SUITE} (a few minutes the first time)`);
    // debootstrap and the tools it calls (chroot, …) live in sbin, which a non-login PATH may lack.
    const path = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`;
    must(
      spawnSync('debootstrap', ['--variant=minbase', SUITE, rootfs, MIRROR], {
        encoding: 'utf8',
        env: { ...process.env, PATH: path },
      }),
      'debootstrap',
    );
    // Smaller image: no package lists, caches, docs or man pages (as the slim images).
    for (const dir of [
      'var/lib/apt/lists',
      'var/cache/apt',
      'usr/share/doc',
      'usr/share/man',
      'usr/share/locale',
    ]) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    addNodeUser(rootfs);
    installNode(rootfs, node, npm);
    log(`importing ${BASE_IMAGE} (Node ${nodeVersion}, npm ${npmVersion})`);
    const tar = join(work, 'rootfs.tar');
    must(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.'], { encoding: 'utf8' }), 'tar');
    must(
      podman([
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${nodeVersion.slice(1)}`,
        '--change',
        `LABEL ${KEY_LABEL}=${key}`,
        '--change',
        'CMD ["node"]',
        tar,
        BASE_IMAGE,
      ]),
      'podman import',
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { image: BASE_IMAGE, built: true, seconds: (Date.now() - started) / 1000 };
}
