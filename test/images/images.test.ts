import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnvelope, type Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, podmanEnv } from '../../scripts/containers.mjs';
import {
  type Backend,
  expectRequestResponse,
  gatewayConfig,
  readNdjson,
  sendUserRequests,
  startBackend,
  tempDir,
  until,
  writeJson,
} from '../e2e/support/switchyard.js';

// Builds the two images on the local base (scripts/containers.mjs, made by `npm run test:setup`) exactly as
// a user builds them from node:24-slim, with only --build-arg BASE changed, then runs them as a user would:
// --init, a mounted config file, a mounted volume, host networking on loopback ports.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_STAGE = 'localhost/switchyard-build:test';
const GATEWAY_IMAGE = 'localhost/switchyard-gateway:test';
const PROXY_IMAGE = 'localhost/switchyard-event-proxy:test';
const RUN_ID = `swy-test-${process.pid}`;
const BUILD_TIMEOUT_MS = 15 * 60_000;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function podman(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('podman', args, { cwd: ROOT, env: podmanEnv(), timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function must(args: string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs);
  if (result.status !== 0) {
    const output = `${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`;
    throw new Error(`podman ${args.join(' ')} exited ${result.status}:\n${output}`);
  }
  return result.stdout;
}

/** A loopback port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function build(dockerfile: string, tag: string, target: string[] = []): Promise<string> {
  return must(
    [
      'build',
      ...target,
      '--format=docker', // keeps HEALTHCHECK (the OCI format has none)
      '--network=host',
      '--pull=never',
      `--build-arg=BASE=${BASE_IMAGE}`,
      // npm ci reaches the registry through this machine's TLS-intercepting proxy: trust its CA.
      `--volume=${CA_BUNDLE}:/run/host-ca.crt:ro`,
      '--build-arg=NODE_EXTRA_CA_CERTS=/run/host-ca.crt',
      `--file=${dockerfile}`,
      `--tag=${tag}`,
      '.',
    ],
    BUILD_TIMEOUT_MS,
  );
}

const running: string[] = [];

async function run(name: string, args: string[]): Promise<string> {
  running.push(name);
  await must(['run', '--detach', `--name=${name}`, '--network=host', '--init', ...args]);
  return name;
}

async function stop(name: string): Promise<{ exitCode: number; log: string }> {
  await must(['stop', '--time=10', name]);
  const exitCode = Number((await must(['inspect', '--format={{.State.ExitCode}}', name])).trim());
  const log = (await podman(['logs', name])).stderr;
  return { exitCode, log };
}

/** The gateway's event subscribers (its `/__health`), 0 while it does not answer. */
const subscribers = async (admin: string): Promise<number> => {
  try {
    const res = await fetch(`${admin}/__health`);
    const body = (await res.json()) as { events?: { subscribers?: number } };
    return body.events?.subscribers ?? 0;
  } catch {
    return 0;
  }
};
const healthy = async (base: string, path: string) => {
  try {
    return (await fetch(`${base}${path}`)).ok;
  } catch {
    return false;
  }
};

const tmp = tempDir('images');
let backend: Backend;

beforeAll(async () => {
  const base = await podman(['image', 'exists', BASE_IMAGE]);
  if (base.status !== 0) throw new Error(`${BASE_IMAGE} is missing: run \`npm run test:setup\` (as root)`);
  // The build stage gets a tag of its own, so that pruning keeps its layers (the installed dependencies)
  // as the cache of the next run; both images then reuse it.
  await build('packages/gateway/Dockerfile', BUILD_STAGE, ['--target=build']);
  await build('packages/gateway/Dockerfile', GATEWAY_IMAGE);
  await build('packages/event-proxy/Dockerfile', PROXY_IMAGE);
  // Earlier runs' untagged images, not this run's nor a build running beside it: bounded disk.
  await must(['image', 'prune', '--force', '--filter=until=10m']);
  backend = await startBackend();
}, 2 * BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (running.length > 0) await podman(['rm', '--force', '--time=2', ...running]);
  await backend?.close();
  tmp.cleanup();
});

describe('the container images', () => {
  it('share one build stage, so building one caches the other', () => {
    const buildStage = (file: string) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return text.slice(text.indexOf('ARG BASE='), text.indexOf('# --- runtime'));
    };
    expect(buildStage('packages/gateway/Dockerfile')).toContain('npm ci');
    expect(buildStage('packages/event-proxy/Dockerfile')).toBe(buildStage('packages/gateway/Dockerfile'));
  });

  it('run as uid 1000 with a health check and no listener beyond loopback by default', async () => {
    for (const image of [GATEWAY_IMAGE, PROXY_IMAGE]) {
      const [inspected] = JSON.parse(await must(['image', 'inspect', image]));
      expect(inspected.Config.User).toBe('1000:1000');
      expect(inspected.Healthcheck.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
      const id = await must(['run', '--rm', '--init', '--entrypoint=id', image, '-u']);
      expect(id.trim()).toBe('1000');
    }
  }, 120_000);

  // Its own waits add up past the default timeout: two containers up to 60 s each, events 30 s, two stops.
  it('the gateway answers through its backends, passes its health check, and the proxy delivers its events and posted ones to a file', async () => {
    const [port, adminPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
    const config = writeJson(
      join(tmp.dir, 'krakend.json'),
      gatewayConfig(backend.url, [], {
        port,
        extra_config: {
          'telemetry/events': { redact_headers: ['X-Secret'], health_interval: '1h' },
          admin: { listen: `127.0.0.1:${adminPort}` },
        },
      }),
    );
    const data = join(tmp.dir, 'data');
    mkdirSync(data);
    chownSync(data, 1000, 1000);

    const gateway = await run(`${RUN_ID}-gateway`, [
      `--volume=${config}:/etc/switchyard/krakend.json:ro`,
      GATEWAY_IMAGE,
    ]);
    const proxy = await run(`${RUN_ID}-proxy`, [
      `--volume=${data}:/var/lib/switchyard`,
      `--env=EVENT_PROXY_LISTEN=127.0.0.1:${proxyPort}`,
      `--env=GATEWAY_ADMIN_URL=http://127.0.0.1:${adminPort}`,
      '--env=TARGET_TYPE=file',
      '--env=TARGET_FILE_PATH=/var/lib/switchyard/events.ndjson',
      '--env=EVENT_BATCH_LINGER=20ms',
      PROXY_IMAGE,
    ]);
    const base = `http://127.0.0.1:${port}`;
    const ingest = `http://127.0.0.1:${proxyPort}`;
    await until(() => healthy(base, '/__health'), 'the gateway container to answer', 60_000);
    await until(() => healthy(ingest, '/readyz'), 'the event proxy container to be ready', 60_000);

    // The health checks find the configured (random) ports, not the images' defaults.
    for (const name of [gateway, proxy]) {
      const check = await podman(['healthcheck', 'run', name]);
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
    expect((await must(['exec', gateway, 'id', '-u'])).trim()).toBe('1000');

    // The gateway records events only while someone subscribes, and the proxy subscribes once the gateway
    // answers (retrying with backoff up to 30 s): the requests wait for its stream, or their events are
    // never made (a slow start under load once left this test waiting out its 30 s).
    await until(
      () => subscribers(`http://127.0.0.1:${adminPort}`).then((n) => n >= 1),
      'the event proxy to subscribe to the gateway',
      60_000,
    );
    const paths = await sendUserRequests(base, 2);
    const posted = createEnvelope(
      'request',
      {
        request_id: `${RUN_ID}-posted`,
        method: 'GET',
        path: '/posted',
        endpoint: '/posted',
        query: {},
        client_ip: '127.0.0.1',
        headers: {},
        body_bytes: 0,
      },
      'test-node',
    );
    const accepted = await fetch(`${ingest}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(posted),
    });
    expect(accepted.status, await accepted.text()).toBeLessThan(300);

    const file = join(data, 'events.ndjson');
    const delivered = () => readNdjson(file) as Envelope[];
    await until(
      () => delivered().some((e) => e.id === posted.id) && delivered().length >= 1 + 2 * paths.length,
      'the events in the mounted file',
      30_000,
    );
    expect(delivered().find((e) => e.id === posted.id)).toEqual(posted);
    expectRequestResponse(
      delivered().filter((e) => e.id !== posted.id && e.event_type !== 'node_health'),
      paths,
      backend.url,
    );

    // SIGTERM through --init: both finish cleanly (exit 0), not killed after the grace period.
    for (const name of [proxy, gateway]) {
      const stopped = await stop(name);
      expect(stopped.exitCode, stopped.log).toBe(0);
    }
  }, 240_000);

  it('the health checks fail when nothing answers on the configured port', async () => {
    const port = await freePort();
    const config = writeJson(join(tmp.dir, 'down.json'), gatewayConfig(backend.url, [], { port }));
    const gateway = await podman([
      'run',
      '--rm',
      '--network=host',
      `--volume=${config}:/etc/switchyard/krakend.json:ro`,
      '--entrypoint=node',
      GATEWAY_IMAGE,
      '/app/healthcheck.mjs',
    ]);
    expect(gateway.status).toBe(1);
    expect(gateway.stderr).toContain(`127.0.0.1:${port}/__health`);
    const proxy = await podman([
      'run',
      '--rm',
      '--network=host',
      `--env=EVENT_PROXY_LISTEN=127.0.0.1:${port}`,
      '--env=TARGET_TYPE=file',
      '--env=TARGET_FILE_PATH=-',
      '--entrypoint=node',
      PROXY_IMAGE,
      '/app/healthcheck.mjs',
    ]);
    expect(proxy.status).toBe(1);
    expect(proxy.stderr).toContain(`127.0.0.1:${port}/healthz`);
  });
});
