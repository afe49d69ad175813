import { createGateway, type Gateway } from '@switchyard/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { quietLogger } from './support/gateway.js';

/** The samples of one metric family from Prometheus text: `name{labels} value` lines. */
const samples = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .sort();

describe('telemetry/metrics', () => {
  let backend: TestBackend;
  let gateway: Gateway;
  let port: number;
  let adminPort: number;
  let downOrigin: string;

  beforeAll(async () => {
    backend = await startBackend((req, res) =>
      req.url === '/fail' ? json(res, { e: 1 }, 500) : json(res, { ok: true }),
    );
    downOrigin = `http://127.0.0.1:${await closedPort()}`;
    gateway = createGateway({
      config: {
        version: 3,
        extra_config: { 'telemetry/metrics': { collection_time: '30s' } },
        endpoints: [
          { endpoint: '/ok/{id}', backend: [{ host: [backend.origin], url_pattern: '/ok/{id}' }] },
          { endpoint: '/fail', backend: [{ host: [backend.origin], url_pattern: '/fail' }] },
          {
            endpoint: '/down',
            backend: [
              {
                host: [downOrigin],
                url_pattern: '/x',
                extra_config: { 'qos/circuit-breaker': { interval: 60, timeout: 60, max_errors: 1 } },
              },
            ],
          },
        ],
      },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: '127.0.0.1:0' },
    });
    ({ port } = await gateway.listen());
    adminPort = gateway.adminAddress?.port as number;
  });

  afterAll(async () => {
    await gateway.close();
    await backend.close();
  });

  it('counts requests by endpoint, method and status, and backend calls by origin and status', async () => {
    for (const id of ['1', '2']) expect((await send(port, `/ok/${id}`)).status).toBe(200);
    expect((await send(port, '/fail')).status).toBe(500);
    expect((await send(port, '/nowhere')).status).toBe(404);
    // Two refused connections open the breaker (more than max_errors); the third is refused by it: all 500.
    const down: number[] = [];
    for (let i = 0; i < 3; i++) down.push((await send(port, '/down')).status);
    expect(down).toEqual([500, 500, 500]);

    const res = await send(adminPort, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(samples(res.body, 'switchyard_gateway_requests_total')).toEqual(
      [
        'switchyard_gateway_requests_total{endpoint="",method="GET",status="404"} 1',
        'switchyard_gateway_requests_total{endpoint="/down",method="GET",status="500"} 3',
        'switchyard_gateway_requests_total{endpoint="/fail",method="GET",status="500"} 1',
        'switchyard_gateway_requests_total{endpoint="/ok/{id}",method="GET",status="200"} 2',
      ].sort(),
    );
    expect(samples(res.body, 'switchyard_gateway_backend_requests_total')).toEqual(
      [
        `switchyard_gateway_backend_requests_total{backend="${backend.origin}",method="GET",status="200"} 2`,
        `switchyard_gateway_backend_requests_total{backend="${backend.origin}",method="GET",status="500"} 1`,
        `switchyard_gateway_backend_requests_total{backend="${downOrigin}",method="GET",status="error"} 3`,
      ].sort(),
    );
    expect(samples(res.body, 'switchyard_gateway_request_duration_seconds_count')).toContain(
      'switchyard_gateway_request_duration_seconds_count{endpoint="/ok/{id}",method="GET"} 2',
    );
    expect(samples(res.body, 'switchyard_gateway_backend_duration_seconds_count')).toContain(
      `switchyard_gateway_backend_duration_seconds_count{backend="${backend.origin}",method="GET"} 3`,
    );
    expect(samples(res.body, 'switchyard_gateway_circuit_breaker_state')).toEqual([
      `switchyard_gateway_circuit_breaker_state{scope="GET /down backend[0] /x",backend="${downOrigin}"} 2`,
    ]);
    // The scrape itself is not a gateway request; nothing is in flight once answers are complete.
    expect(samples(res.body, 'switchyard_gateway_requests_in_flight')).toEqual([
      'switchyard_gateway_requests_in_flight 0',
    ]);
    expect(res.body).toContain('# TYPE switchyard_gateway_request_duration_seconds histogram');
    expect(res.body).toContain('switchyard_gateway_process_cpu_seconds_total');
  });

  it('counts requests, streamed ones too, without building event data while nothing consumes events', async () => {
    let built = 0;
    const counted = createGateway({
      config: {
        version: 3,
        endpoints: [
          { endpoint: '/ok', backend: [{ host: [backend.origin], url_pattern: '/ok/1' }] },
          {
            endpoint: '/raw',
            output_encoding: 'no-op',
            backend: [{ host: [backend.origin], url_pattern: '/ok/2', encoding: 'no-op' }],
          },
        ],
      },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: '127.0.0.1:0' },
      // An event consumer that is not recording: the request path must not build its data.
      observer: {
        recording: false,
        requestStarted: () => built++,
        requestFinished: () => built++,
      },
    });
    const { port: p } = await counted.listen();
    for (const path of ['/ok', '/raw', '/raw']) expect((await send(p, path)).status).toBe(200);
    const text = (await send(counted.adminAddress?.port as number, '/metrics')).body;
    expect(samples(text, 'switchyard_gateway_requests_total')).toEqual([
      'switchyard_gateway_requests_total{endpoint="/ok",method="GET",status="200"} 1',
      'switchyard_gateway_requests_total{endpoint="/raw",method="GET",status="200"} 2',
    ]);
    expect(samples(text, 'switchyard_gateway_backend_requests_total')).toEqual([
      `switchyard_gateway_backend_requests_total{backend="${backend.origin}",method="GET",status="200"} 3`,
    ]);
    expect(samples(text, 'switchyard_gateway_request_duration_seconds_bucket')).toContain(
      'switchyard_gateway_request_duration_seconds_bucket{endpoint="/raw",method="GET",le="+Inf"} 2',
    );
    expect(built).toBe(0);
    await counted.close();
  });

  it('keeps one registry per gateway, and collects nothing without the admin listener', async () => {
    const other = createGateway({
      config: { version: 3, endpoints: [] },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: '127.0.0.1:0' },
    });
    await other.listen();
    const text = (await send(other.adminAddress?.port as number, '/metrics')).body;
    expect(samples(text, 'switchyard_gateway_requests_total')).toEqual([]);
    await other.close();

    const none = createGateway({
      config: { version: 3, endpoints: [] },
      logger: quietLogger(),
      admin: false,
    });
    expect(none.adminAddress).toBeNull();
    await none.close();
  });

  it('leaves out request or backend metrics when router_disabled or backend_disabled', async () => {
    const quiet = createGateway({
      config: {
        version: 3,
        extra_config: { 'telemetry/metrics': { router_disabled: true, backend_disabled: true } },
        endpoints: [{ endpoint: '/ok', backend: [{ host: [backend.origin], url_pattern: '/ok' }] }],
      },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: '127.0.0.1:0' },
    });
    const { port: p } = await quiet.listen();
    expect((await send(p, '/ok')).status).toBe(200);
    const text = (await send(quiet.adminAddress?.port as number, '/metrics')).body;
    expect(text).not.toContain('switchyard_gateway_requests_total');
    expect(text).not.toContain('switchyard_gateway_backend_requests_total');
    expect(text).toContain('switchyard_gateway_requests_in_flight 0');
    await quiet.close();
  });
});
