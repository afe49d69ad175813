import type { Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { until } from './support/wait.js';

const breaker = { interval: 60, timeout: 1, max_errors: 1, log_status_change: true };

describe('qos/circuit-breaker', () => {
  let healthy = false;
  let flaky: TestBackend;
  let steady: TestBackend;
  let gw: TestGateway;
  const events: Envelope[] = [];
  let refusedPort: number;

  beforeAll(async () => {
    flaky = await startBackend((_req, res) => (healthy ? json(res, { ok: true }) : json(res, { e: 1 }, 500)));
    steady = await startBackend((_req, res) => json(res, { steady: true }));
    refusedPort = await closedPort();
    gw = await startGateway({
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/cb',
          backend: [
            { host: [flaky.origin], url_pattern: '/flaky', extra_config: { 'qos/circuit-breaker': breaker } },
          ],
        },
        {
          endpoint: '/merge',
          backend: [
            { host: [steady.origin], url_pattern: '/steady' },
            {
              host: [`http://127.0.0.1:${refusedPort}`],
              url_pattern: '/down',
              extra_config: { 'qos/circuit-breaker': { ...breaker, timeout: 60 } },
            },
          ],
        },
      ],
    });
    gw.gateway.events.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await gw.close();
    await flaky.close();
    await steady.close();
  });

  const transitions = (scope: string) =>
    events
      .filter((e) => e.event_type === 'plugin_updated' && (e.data as { scope: string }).scope === scope)
      .map((e) => e.data);

  it('opens after more than max_errors consecutive failures, fails fast with 500 (the KrakenD status), probes when half-open', async () => {
    const scope = 'GET /cb backend[0] /flaky';
    expect((await send(gw.port, '/cb')).status).toBe(500);
    expect(transitions(scope)).toEqual([]);
    expect((await send(gw.port, '/cb')).status).toBe(500);
    expect(transitions(scope)).toEqual([
      { plugin: 'qos/circuit-breaker', scope, change: 'state', from: 'closed', to: 'open' },
    ]);

    const refused = await send(gw.port, '/cb');
    expect(refused.status).toBe(500);
    expect(refused.headers['x-krakend-completed']).toBe('false');
    expect(refused.body).toBe('circuit breaker is open');
    expect(flaky.received).toHaveLength(2);
    expect(gw.gateway.events.status()).toBe('degraded');

    // Half-open after `timeout`: one probe goes through; its failure opens the breaker again.
    await until(() => transitions(scope).length === 2);
    expect(transitions(scope)[1]).toMatchObject({ from: 'open', to: 'half-open' });
    expect((await send(gw.port, '/cb')).status).toBe(500);
    expect(flaky.received).toHaveLength(3);
    expect(transitions(scope)[2]).toMatchObject({ from: 'half-open', to: 'open' });

    // A successful probe closes it.
    await until(() => transitions(scope).length === 4);
    healthy = true;
    const ok = await send(gw.port, '/cb');
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('{"ok":true}');
    expect(transitions(scope)[4]).toMatchObject({ from: 'half-open', to: 'closed' });
    expect(flaky.received).toHaveLength(4);
  });

  it('an open breaker in a merge makes the answer partial, not a failure', async () => {
    const scope = 'GET /merge backend[1] /down';
    expect((await send(gw.port, '/merge')).headers['x-krakend-completed']).toBe('false');
    await send(gw.port, '/merge');
    expect(transitions(scope)).toEqual([
      { plugin: 'qos/circuit-breaker', scope, change: 'state', from: 'closed', to: 'open' },
    ]);
    const partial = await send(gw.port, '/merge');
    expect(partial.status).toBe(200);
    expect(partial.headers['x-krakend-completed']).toBe('false');
    expect(partial.body).toBe('{"steady":true}');
  });

  it('feeds node_health with every breaker state', () => {
    gw.gateway.events.emitHealth();
    const health = events.filter((e) => e.event_type === 'node_health').at(-1) as Envelope;
    const data = health.data as { status: string; backends: unknown[] };
    expect(data.status).toBe('degraded');
    expect(data.backends).toEqual([
      { url: `${flaky.origin}/flaky`, breaker: 'closed', scope: 'GET /cb backend[0] /flaky' },
      {
        url: `http://127.0.0.1:${refusedPort}/down`,
        breaker: 'open',
        scope: 'GET /merge backend[1] /down',
      },
    ]);
  });
});
