import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const limit = { 'qos/ratelimit/proxy': { max_rate: 1, capacity: 2, every: '1h' } };

describe('qos/ratelimit/proxy', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { [(req.url ?? '/').slice(1)]: true }));
    gw = await startGateway({
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        { endpoint: '/single', backend: [{ url_pattern: '/single', extra_config: limit }] },
        {
          endpoint: '/merge',
          backend: [{ url_pattern: '/free' }, { url_pattern: '/limited', extra_config: limit }],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  const calls = (path: string) => backend.received.filter((r) => r.url === path).length;

  it('fails a lone backend over its limit fast with 500 (the KrakenD status), without calling it', async () => {
    expect((await send(gw.port, '/single')).status).toBe(200);
    expect((await send(gw.port, '/single')).status).toBe(200);
    const refused = await send(gw.port, '/single');
    expect(refused.status).toBe(500);
    expect(refused.headers['x-krakend-completed']).toBe('false');
    expect(refused.body).toBe('ERROR: rate limit exceeded');
    expect(calls('/single')).toBe(2);
  });

  it('makes a merge partial when one of its backends is over its limit', async () => {
    await send(gw.port, '/merge');
    await send(gw.port, '/merge');
    const partial = await send(gw.port, '/merge');
    expect(partial.status).toBe(200);
    expect(partial.headers['x-krakend-completed']).toBe('false');
    expect(partial.body).toBe('{"free":true}');
    expect(calls('/limited')).toBe(2);
    expect(calls('/free')).toBe(3);
  });
});
