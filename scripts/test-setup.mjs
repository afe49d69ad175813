#!/usr/bin/env node
// Prepares the real peers the tests talk to (DESIGN.md > Test infrastructure), idempotently:
//   1. the C toolchain, librdkafka-dev, openssl and jq (apt-get, when missing),
//   2. the Kafka mock-cluster harness, rebuilt when missing or older than its source, once against Debian's
//      librdkafka and once against the newer one @confluentinc/kafka-javascript ships (built once, cached),
//   3. RabbitMQ on 127.0.0.1:5672 (guest/guest), started (and installed) when it does not answer,
//   4. Redis on 127.0.0.1:6379 (the shared rate limits' tests; redis-server also for the outage test, which
//      starts its own on another port), started (and installed) when it does not answer,
//   5. Node 24 from the npm registry (cached), for the second run of the suite,
//   6. rootful podman with runc, catatonit (for --init) and debootstrap (apt-get, when missing), and the
//      local base image the image tests build on (debootstrap + Node 24; cached, rebuilt when its recipe changes).
// One line per step; exits 1 with the reason when a step cannot be done. Run by `npm test`, or alone with
// `npm run test:setup`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_IMAGE, ensureBaseImage, NODE_MAJOR, podman } from './containers.mjs';
import { ensureBundledLibrdkafka, LINK_LIBS } from './librdkafka-bundled.mjs';
import { ensureNode } from './node-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const support = join(root, 'packages/kafka/test/support');
const HARNESS_SRC = join(support, 'kafka-mock.c');
const HARNESS_BIN = join(support, 'build/kafka-mock');
const BUNDLED_HARNESS_BIN = join(support, 'build/kafka-mock-bundled');
const AMQP_HOST = '127.0.0.1';
const AMQP_PORT = 5672;
const AMQP_URL = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`;
const RABBITMQ_START_TIMEOUT_MS = 60_000;
const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;

const started = Date.now();
const step = (name, outcome) => console.log(`test-setup: ${name.padEnd(16)} ${outcome}`);

function fail(message) {
  console.error(`test-setup: FAILED: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

const succeeds = (command, args) => run(command, args, { stdio: 'ignore' }).status === 0;

function which(command, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs].filter(Boolean);
  return dirs.map((dir) => join(dir, command)).find((path) => existsSync(path));
}

// apt-get as root, through sudo when that works without a password, or a clear refusal.
function aptGet(args) {
  const isRoot = process.getuid?.() === 0;
  const canSudo = !isRoot && which('sudo') && succeeds('sudo', ['-n', 'true']);
  if (!isRoot && !canSudo) {
    fail(`need root (or password-less sudo) to run: apt-get ${args.join(' ')} — run it yourself, then retry`);
  }
  const [command, fullArgs] = isRoot ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]];
  return run(command, fullArgs, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function hasPackageLists() {
  try {
    return readdirSync('/var/lib/apt/lists').some((name) => name.endsWith('_Packages'));
  } catch {
    return false;
  }
}

// `apt-get update` only when there are no package lists yet, or when the install failed on stale ones.
function aptInstall(packages) {
  if (!which('apt-get')) fail(`apt-get not found; install ${packages.join(', ')} with your package manager`);
  if (!hasPackageLists() && aptGet(['update']).status !== 0) fail('apt-get update failed');
  if (aptGet(['install', '-y', '--no-install-recommends', ...packages]).status === 0) return;
  if (aptGet(['update']).status !== 0) fail('apt-get update failed');
  if (aptGet(['install', '-y', '--no-install-recommends', ...packages]).status !== 0) {
    fail(`apt-get install ${packages.join(' ')} failed`);
  }
}

function ensureToolchain() {
  const missing = [];
  if (!which('cc')) missing.push('gcc', 'libc6-dev');
  // make builds the newer librdkafka the second harness links (librdkafka-bundled.mjs).
  if (!which('make')) missing.push('make');
  if (!which('pkg-config')) missing.push('pkg-config');
  if (!(which('pkg-config') && succeeds('pkg-config', ['--exists', 'rdkafka'])))
    missing.push('librdkafka-dev');
  // The Kafka TLS test makes its certificates with the openssl CLI.
  if (!which('openssl')) missing.push('openssl');
  // The CLI test pipes `switchyard check -d` into jq, as operators do.
  if (!which('jq')) missing.push('jq');
  // The Kafka codec tests decode lz4 and zstd batches with the reference command-line tools.
  if (!which('lz4')) missing.push('lz4');
  if (!which('zstd')) missing.push('zstd');
  if (missing.length > 0) {
    step('librdkafka-dev', `installing ${missing.join(' ')}`);
    aptInstall(missing);
    if (!succeeds('pkg-config', ['--exists', 'rdkafka']))
      fail('librdkafka-dev installed but pkg-config cannot find rdkafka');
  }
  const version = run('pkg-config', ['--modversion', 'rdkafka']).stdout.trim();
  step('librdkafka-dev', `ok (librdkafka ${version})`);
}

/** Compiles kafka-mock.c into `bin` with `flags`, when `bin` is missing or older than the source or `inputs`. */
function buildHarness(bin, flags, inputs = []) {
  const built = existsSync(bin) ? statSync(bin).mtimeMs : -1;
  if ([HARNESS_SRC, ...inputs].every((input) => statSync(input).mtimeMs <= built)) return false;
  mkdirSync(dirname(bin), { recursive: true });
  const args = ['-O2', '-Wall', '-Wextra', '-o', bin, HARNESS_SRC, ...flags];
  const compiled = run('cc', args);
  if (compiled.status !== 0) fail(`cc ${args.join(' ')}\n${compiled.stderr}`);
  return true;
}

function ensureHarness() {
  const flags = run('pkg-config', ['--cflags', '--libs', 'rdkafka'])
    .stdout.trim()
    .split(/\s+/)
    .filter(Boolean);
  const built = buildHarness(HARNESS_BIN, flags.length ? flags : ['-lrdkafka']);
  step('kafka harness', built ? `built ${HARNESS_BIN.slice(root.length + 1)}` : 'up to date');
}

// The same harness against a newer librdkafka (newer protocol versions, sequence checks): see
// librdkafka-bundled.mjs.
function ensureBundledHarness() {
  const began = Date.now();
  let librdkafka;
  try {
    librdkafka = ensureBundledLibrdkafka();
  } catch (err) {
    fail(`librdkafka from @confluentinc/kafka-javascript: ${err.message}`);
  }
  const flags = ['-isystem', librdkafka.include, librdkafka.lib, ...LINK_LIBS];
  const built = buildHarness(BUNDLED_HARNESS_BIN, flags, [librdkafka.lib]);
  const what = librdkafka.built
    ? `built librdkafka ${librdkafka.version} in ${((Date.now() - began) / 1000).toFixed(0)} s, `
    : `librdkafka ${librdkafka.version} cached, `;
  step(
    'kafka harness 2',
    `${what}${built ? `built ${BUNDLED_HARNESS_BIN.slice(root.length + 1)}` : 'up to date'}`,
  );
}

function tcpOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// amqplib is a dependency of the event proxy; resolve it from there, wherever npm placed it.
const amqp = createRequire(join(root, 'packages/event-proxy/package.json'))('amqplib');

/** null when an AMQP connection as guest opens, else why not. */
async function amqpProblem() {
  if (!(await tcpOpen(AMQP_HOST, AMQP_PORT))) return `nothing listens on ${AMQP_HOST}:${AMQP_PORT}`;
  try {
    const connection = await amqp.connect(AMQP_URL, { timeout: 5000 });
    await connection.close();
    return null;
  } catch (err) {
    return `AMQP connection failed: ${err.message}`;
  }
}

async function ensureRabbitmq() {
  const problem = await amqpProblem();
  if (problem === null) {
    step('rabbitmq', `running on ${AMQP_HOST}:${AMQP_PORT}`);
    return;
  }
  // Something answers on the port but refuses us: starting another server would not help.
  if (await tcpOpen(AMQP_HOST, AMQP_PORT))
    fail(`RabbitMQ on ${AMQP_HOST}:${AMQP_PORT}: ${problem} (guest/guest expected)`);

  const sbin = ['/usr/sbin', '/usr/lib/rabbitmq/bin'];
  if (!which('rabbitmq-server', sbin)) {
    step('rabbitmq', 'not installed; installing rabbitmq-server');
    aptInstall(['rabbitmq-server']);
  }
  const server = which('rabbitmq-server', sbin);
  if (!server) fail('rabbitmq-server not found after installing it');
  step('rabbitmq', `${problem}; starting ${server} -detached`);
  const start = run(server, ['-detached']);
  if (start.status !== 0) fail(`rabbitmq-server -detached failed:\n${start.stderr || start.stdout}`);

  const deadline = Date.now() + RABBITMQ_START_TIMEOUT_MS;
  let last = problem;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    last = await amqpProblem();
    if (last === null) {
      step('rabbitmq', `started, accepting connections on ${AMQP_HOST}:${AMQP_PORT}`);
      return;
    }
  }
  fail(`RabbitMQ did not accept connections within ${RABBITMQ_START_TIMEOUT_MS / 1000} s: ${last}`);
}

async function ensureRedis() {
  if (!which('redis-server', ['/usr/sbin'])) {
    step('redis', 'not installed; installing redis-server');
    aptInstall(['redis-server']);
  }
  if (await tcpOpen(REDIS_HOST, REDIS_PORT)) {
    step('redis', `running on ${REDIS_HOST}:${REDIS_PORT}`);
    return;
  }
  const server = which('redis-server', ['/usr/sbin']);
  if (!server) fail('redis-server not found after installing it');
  step('redis', `nothing listens on ${REDIS_HOST}:${REDIS_PORT}; starting ${server}`);
  const args = ['--daemonize', 'yes', '--bind', REDIS_HOST, '--port', String(REDIS_PORT), '--save', ''];
  const start = run(server, [...args, '--appendonly', 'no']);
  if (start.status !== 0) fail(`redis-server failed:\n${start.stderr || start.stdout}`);
  for (let i = 0; i < 50; i++) {
    if (await tcpOpen(REDIS_HOST, REDIS_PORT)) {
      step('redis', `started on ${REDIS_HOST}:${REDIS_PORT}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`redis-server did not listen on ${REDIS_HOST}:${REDIS_PORT} within 10 s`);
}

function ensureNode24() {
  const node = ensureNode(NODE_MAJOR);
  step(`node ${NODE_MAJOR}`, `ok (${run(node, ['--version']).stdout.trim()}, ${node})`);
}

function ensureContainers() {
  const missing = ['podman', 'runc', 'debootstrap'].filter((tool) => !which(tool, ['/usr/sbin']));
  if (!existsSync('/usr/libexec/podman/catatonit')) missing.push('catatonit');
  if (missing.length > 0) {
    step('podman', `installing ${missing.join(' ')}`);
    aptInstall(missing);
  }
  const version = podman(['--version']);
  if (version.status !== 0) fail(`podman --version: ${version.stderr}`);
  step('podman', `ok (${version.stdout.trim()})`);
  if (process.getuid?.() !== 0) fail('the image tests need rootful podman: run the tests as root');
  try {
    const base = ensureBaseImage((line) => step('base image', line));
    step(
      'base image',
      base.built ? `built ${BASE_IMAGE} in ${base.seconds.toFixed(0)} s` : `${BASE_IMAGE} up to date`,
    );
  } catch (err) {
    fail(`base image ${BASE_IMAGE}: ${err.message}`);
  }
}

ensureToolchain();
ensureHarness();
ensureBundledHarness();
await ensureRabbitmq();
await ensureRedis();
ensureNode24();
ensureContainers();
step('done', `in ${((Date.now() - started) / 1000).toFixed(1)} s`);
