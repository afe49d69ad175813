import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientBuckets, TokenBucket } from '../src/plugins/token-bucket.js';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const limited = (path: string, limit: Record<string, unknown>) => ({
  endpoint: path,
  extra_config: { 'qos/ratelimit/router': limit },
  backend: [{ url_pattern: '/ok' }],
});

describe('qos/ratelimit/router', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        limited('/global', { max_rate: 2, every: '1h' }),
        limited('/capacity', { max_rate: 1, capacity: 3, every: '1h' }),
        limited('/by-ip', { client_max_rate: 1, every: '1h' }),
        limited('/by-header', { client_max_rate: 1, strategy: 'header', key: 'X-Api-Key', every: '1h' }),
        limited('/by-param/{user}', { client_max_rate: 1, strategy: 'param', key: 'user', every: '1h' }),
        limited('/refill', { max_rate: 1, every: '300ms' }),
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  const status = async (path: string, headers: Record<string, string> = {}) =>
    (await send(gw.port, path, { headers })).status;

  it('answers 503 with no body once the endpoint bucket (max_rate) is empty', async () => {
    const before = backend.received.length;
    expect(await status('/global')).toBe(200);
    expect(await status('/global')).toBe(200);
    const refused = await send(gw.port, '/global');
    expect(refused.status).toBe(503);
    expect(refused.body).toBe('');
    expect(backend.received.length - before).toBe(2);
  });

  it('lets capacity requests through at once', async () => {
    expect([await status('/capacity'), await status('/capacity'), await status('/capacity')]).toEqual([
      200, 200, 200,
    ]);
    expect(await status('/capacity')).toBe(503);
  });

  it('answers 429 per client by ip, header and param; a request without the key is refused', async () => {
    expect(await status('/by-ip')).toBe(200);
    expect(await status('/by-ip')).toBe(429);

    expect(await status('/by-header', { 'X-Api-Key': 'a' })).toBe(200);
    expect(await status('/by-header', { 'X-Api-Key': 'a' })).toBe(429);
    expect(await status('/by-header', { 'X-Api-Key': 'b' })).toBe(200);
    expect(await status('/by-header')).toBe(429);

    expect(await status('/by-param/alice')).toBe(200);
    expect(await status('/by-param/alice')).toBe(429);
    expect(await status('/by-param/bob')).toBe(200);
  });

  it('refills the bucket at max_rate per every', async () => {
    let refused = 0;
    for (let i = 0; i < 20 && refused === 0; i++) if ((await status('/refill')) === 503) refused++;
    expect(refused).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await status('/refill')).toBe(200);
  });

  it('does not serve (500) an endpoint whose param strategy names no path param, and serves the others', async () => {
    const other = await startGateway({
      host: [backend.origin],
      endpoints: [
        limited('/x', { client_max_rate: 1, strategy: 'param', key: 'user' }),
        limited('/y', { client_max_rate: 1 }),
      ],
    });
    try {
      expect((await send(other.port, '/x')).status).toBe(500);
      expect((await send(other.port, '/y')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('keeps per-client buckets bounded: the least recently seen client is forgotten', () => {
    const buckets = new ClientBuckets(() => new TokenBucket(1, 1, 3_600_000), 2);
    expect([buckets.take('a'), buckets.take('b'), buckets.take('a')]).toEqual([true, true, false]);
    expect(buckets.take('c')).toBe(true); // b, the least recently seen, is forgotten
    expect(buckets.size).toBe(2);
    expect(buckets.take('a')).toBe(false);
    expect(buckets.take('b')).toBe(true);
  });
});
