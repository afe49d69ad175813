import type { GatewayFile } from '@switchyard/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// A prepared reload that is dropped (a `--workers` reload another worker refused) must leave the breakers
// in force as they were: open ones stay open, with their counts, whether the dropped file kept their
// settings or changed them.

const breaker = { interval: 60, timeout: 60, max_errors: 1 };

function file(origin: string, changed: boolean): GatewayFile {
  return {
    version: 3,
    extra_config: { router: { return_error_msg: true } },
    endpoints: [
      {
        endpoint: '/same',
        backend: [{ host: [origin], url_pattern: '/a', extra_config: { 'qos/circuit-breaker': breaker } }],
      },
      {
        endpoint: '/changed',
        backend: [
          {
            host: [origin],
            url_pattern: '/b',
            extra_config: { 'qos/circuit-breaker': changed ? { ...breaker, max_errors: 5 } : breaker },
          },
        ],
      },
      ...(changed ? [{ endpoint: '/new', backend: [{ host: [origin], url_pattern: '/c' }] }] : []),
    ],
  } as GatewayFile;
}

describe('breakers across a prepared reload', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let hits = 0;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => {
      hits++;
      json(res, { e: 1 }, 500);
    });
    const { version: _, ...config } = file(backend.origin, false);
    gw = await startGateway(config);
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  /** Whether the endpoint's breaker refuses without calling the backend. */
  async function refusedFast(path: string): Promise<boolean> {
    const before = hits;
    const res = await send(gw.port, path);
    return res.body === 'circuit breaker is open' && hits === before;
  }

  it('keeps open breakers open when the prepared file is abandoned, and unchanged ones open when committed', async () => {
    for (const path of ['/same', '/changed']) {
      await send(gw.port, path);
      await send(gw.port, path);
      expect(await refusedFast(path)).toBe(true);
    }

    gw.gateway.prepareReload(file(backend.origin, true)).abandon();
    expect(await refusedFast('/same')).toBe(true);
    expect(await refusedFast('/changed')).toBe(true);
    // The dropped file's endpoint was never served.
    expect((await send(gw.port, '/new')).status).toBe(404);

    // Committed: the unchanged breaker keeps its state; the one whose settings changed starts closed.
    gw.gateway.prepareReload(file(backend.origin, true)).commit();
    expect(await refusedFast('/same')).toBe(true);
    expect(await refusedFast('/changed')).toBe(false);
  });
});
