import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createGateway } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestConfig } from './support/gateway.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { until } from './support/wait.js';

// The shared Redis of the test machine; keys are unique per run (the endpoint names carry a random id).
const SHARED_REDIS = '127.0.0.1:6379';
const run = randomUUID().slice(0, 8);
const redisPools = (address: string) => ({ redis: { connection_pools: [{ name: 'limits', address }] } });

interface GatewayProcess {
  port: number;
  child: ChildProcess;
}

/** A gateway in its own process (the built package), as a replica would be. */
function spawnGateway(config: TestConfig): Promise<GatewayProcess> {
  const script = new URL('./support/gateway-process.mjs', import.meta.url);
  const child = spawn(process.execPath, [script.pathname, JSON.stringify({ version: 3, ...config })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`gateway process did not start: ${err}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(timer);
        resolve({ port: (JSON.parse(line) as { port: number }).port, child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited (${code}): ${err}`));
    });
  });
}

const stop = (g: GatewayProcess) =>
  new Promise<void>((resolve) => {
    if (g.child.exitCode !== null) return resolve();
    g.child.once('exit', () => resolve());
    g.child.kill('SIGTERM');
  });

/** Sends `n` requests, alternating between the gateways, one at a time; counts the statuses. */
async function countStatuses(ports: readonly number[], path: string, n: number, headers = {}) {
  const counts: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const { status } = await send(ports[i % ports.length] as number, path, { headers });
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

describe('qos/ratelimit/*/redis: one limit for every gateway process', () => {
  let backend: TestBackend;
  let gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(new URL('../dist/index.js', import.meta.url)))
      throw new Error('packages/gateway/dist is missing: run npm run build first');
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    const config: TestConfig = {
      host: [backend.origin],
      extra_config: redisPools(SHARED_REDIS),
      endpoints: [
        {
          endpoint: `/global-${run}`,
          extra_config: {
            'qos/ratelimit/router/redis': { connection_name: 'limits', max_rate: 5, every: '1h' },
          },
          backend: [{ url_pattern: '/ok' }],
        },
        {
          endpoint: `/per-client-${run}`,
          extra_config: {
            'qos/ratelimit/router/redis': {
              connection_name: 'limits',
              client_max_rate: 3,
              strategy: 'header',
              key: 'X-Api-Key',
              every: '1h',
            },
          },
          backend: [{ url_pattern: '/ok' }],
        },
        {
          endpoint: `/backend-${run}`,
          backend: [
            {
              url_pattern: '/ok',
              extra_config: {
                'qos/ratelimit/proxy/redis': {
                  connection_name: 'limits',
                  max_rate: 4,
                  capacity: 4,
                  every: '1h',
                },
              },
            },
          ],
        },
      ],
    };
    gateways = await Promise.all([spawnGateway(config), spawnGateway(config)]);
  });

  afterAll(async () => {
    await Promise.all(gateways.map(stop));
    await backend?.close();
  });

  const ports = () => gateways.map((g) => g.port);

  it('admits max_rate requests in all across both processes; the rest get 503', async () => {
    expect(await countStatuses(ports(), `/global-${run}`, 16)).toEqual({ 200: 5, 503: 11 });
  });

  it('admits client_max_rate requests per client across both processes; the rest get 429', async () => {
    expect(await countStatuses(ports(), `/per-client-${run}`, 10, { 'X-Api-Key': 'alice' })).toEqual({
      200: 3,
      429: 7,
    });
    // Another client has its own bucket.
    expect(await countStatuses(ports(), `/per-client-${run}`, 4, { 'X-Api-Key': 'bob' })).toEqual({
      200: 3,
      429: 1,
    });
  });

  it('calls a backend max_rate times in all across both processes', async () => {
    const before = backend.received.length;
    expect(await countStatuses(ports(), `/backend-${run}`, 10)).toEqual({ 200: 4, 500: 6 });
    expect(backend.received.length - before).toBe(4);
  });
});

describe('qos/ratelimit/router/redis when Redis goes away', () => {
  let backend: TestBackend;
  let redis: TestRedis;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.kill();
    await backend?.close();
  });

  it("falls back to the node's own limit, logs and counts it once, never answers 500, and recovers", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    const gateway = createGateway({
      config: {
        version: 3,
        host: [backend.origin],
        extra_config: redisPools(redis.address),
        endpoints: [
          {
            endpoint: '/limited',
            extra_config: {
              'qos/ratelimit/router/redis': { connection_name: 'limits', max_rate: 3, every: '1h' },
            },
            backend: [{ url_pattern: '/ok' }],
          },
        ],
      },
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ level: 'info', destination }),
      admin: { listen: '127.0.0.1:0' },
    });
    const { port } = await gateway.listen();
    const metrics = async () => {
      const res = await fetch(`${gateway.adminAddress?.url}/metrics`);
      return res.text();
    };
    try {
      // Redis up: its bucket decides (3), the node's own bucket is untouched.
      expect(await countStatuses([port], '/limited', 4)).toEqual({ 200: 3, 503: 1 });

      await redis.kill();
      // Redis down: the node's own bucket (same settings, still full) decides; no 500.
      expect(await countStatuses([port], '/limited', 5)).toEqual({ 200: 3, 503: 2 });
      const warnings = logs.filter((l) => String(l.msg).startsWith('Redis unreachable'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ connection: 'limits', level: 40 });
      const down = await metrics();
      expect(down).toContain('switchyard_gateway_ratelimit_redis_degraded{connection="limits"} 1');
      expect(down).toContain('switchyard_gateway_ratelimit_redis_fallbacks_total{connection="limits"} 5');

      await redis.restart();
      // Reconnected (ioredis retries with backoff): decisions are Redis's again, whose bucket is empty.
      await until(() => {
        void send(port, '/limited');
        return logs.some((l) => String(l.msg).startsWith('Redis answers again'));
      }, 15_000);
      expect(await metrics()).toContain('switchyard_gateway_ratelimit_redis_degraded{connection="limits"} 0');
    } finally {
      await gateway.close();
    }
  });
});

describe('qos/ratelimit/*/redis configuration', () => {
  const endpoint = (name: string) => ({
    endpoint: '/x',
    extra_config: { 'qos/ratelimit/router/redis': { connection_name: name, max_rate: 1 } },
    backend: [{ url_pattern: '/ok', host: ['http://127.0.0.1:9'] }],
  });

  it('does not serve (500, logged) an endpoint whose connection_name names no redis pool, and serves the others', async () => {
    const reasons: string[] = [];
    const logger = createLogger({
      level: 'error',
      destination: new Writable({
        write(chunk, _enc, done) {
          const line = JSON.parse(String(chunk)) as { msg: string; reason?: string };
          if (line.msg.startsWith('endpoint not served')) reasons.push(line.reason ?? '');
          done();
        },
      }),
    });
    const gw = await startGateway(
      {
        extra_config: redisPools(SHARED_REDIS),
        endpoints: [
          endpoint('nope'),
          { endpoint: '/plain', backend: [{ url_pattern: '/ok', host: ['http://127.0.0.1:9'] }] },
        ],
      },
      { logger },
    );
    try {
      expect((await send(gw.port, '/x')).status).toBe(500);
      expect((await send(gw.port, '/plain')).status).not.toBe(404);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(
        /endpoints\[0\] \(GET \/x\) qos\/ratelimit\/router\/redis: connection_name "nope" is not in redis/,
      );
    } finally {
      await gw.close();
    }
  });

  it('a reload naming an unknown pool is applied, and that endpoint answers 500 until fixed', async () => {
    const live = await startBackend((_req, res) => json(res, { ok: true }));
    const on = (name: string) => ({
      ...endpoint(name),
      backend: [{ url_pattern: '/ok', host: [live.origin] }],
    });
    const gw = await startGateway({ extra_config: redisPools(SHARED_REDIS), endpoints: [on('limits')] });
    try {
      expect((await send(gw.port, '/x')).status).toBe(200);
      gw.gateway.reload({ version: 3, extra_config: redisPools(SHARED_REDIS), endpoints: [on('other')] });
      expect((await send(gw.port, '/x')).status).toBe(500);
    } finally {
      await gw.close();
      await live.close();
    }
  });
});
