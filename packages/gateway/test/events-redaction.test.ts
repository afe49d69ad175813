import type { Envelope, RequestData, ResponseData } from '@switchyard/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from '../src/events/index.js';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// Secrets never reach events (default header and query lists, extendable in telemetry/events, applied to
// request.headers, request.query, the path and backends[].url), and health checks are not events.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function gatewayWithEvents(
  backend: TestBackend,
  events: Record<string, unknown> = {},
): Promise<{ g: TestGateway; seen: Envelope[] }> {
  const g = await startGateway({
    host: [backend.origin],
    extra_config: { 'telemetry/events': { health_interval: '1h', ...events } },
    endpoints: [
      {
        endpoint: '/items/{id}',
        input_query_strings: ['*'],
        backend: [{ url_pattern: '/items/{id}?api_key=backend-key&page=1' }],
      },
    ],
  });
  closers.push(() => g.close());
  const seen: Envelope[] = [];
  g.gateway.events.subscribe((e) => seen.push(e));
  return { g, seen };
}

describe('event redaction', () => {
  it('redacts the default secret headers and query parameters everywhere an event carries them', async () => {
    const backend = await startBackend((_req, res) => json(res, { ok: true }));
    closers.push(() => backend.close());
    const { g, seen } = await gatewayWithEvents(backend);
    const answer = await send(g.port, '/items/7?token=tok&password=pw&apikey=ak&Access_Token=at&page=2', {
      headers: {
        authorization: 'Bearer b',
        cookie: 'sid=1',
        'x-api-key': 'xk',
        'x-auth-token': 'xt',
        'proxy-authorization': 'Basic p',
        accept: 'application/json',
      },
    });
    expect(answer.status).toBe(200);
    const req = seen.find((e) => e.event_type === 'request')?.data as RequestData;
    const res = seen.find((e) => e.event_type === 'response')?.data as ResponseData;
    expect(req.headers).toMatchObject({
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      'x-auth-token': '[REDACTED]',
      'proxy-authorization': '[REDACTED]',
      accept: 'application/json',
    });
    expect(req.query).toEqual({
      token: '[REDACTED]',
      password: '[REDACTED]',
      apikey: '[REDACTED]',
      Access_Token: '[REDACTED]',
      page: '2',
    });
    const backendUrl = res.backends[0]?.url as string;
    expect(backendUrl).toContain('api_key=[REDACTED]');
    expect(backendUrl).toContain('page=');
    expect(JSON.stringify(seen)).not.toMatch(
      /backend-key|"tok"|"pw"|"ak"|"at"|Bearer b|sid=1|"xk"|"xt"|Basic p/,
    );
  });

  // An attacker's pass found secrets under names outside the exact lists: all of these reached events.
  it('redacts names that look like secrets, in any spelling, beyond the listed ones', async () => {
    const backend = await startBackend((_req, res) => json(res, { ok: true }));
    closers.push(() => backend.close());
    const { g, seen } = await gatewayWithEvents(backend);
    const secrets = [
      'X-Amz-Signature=s01',
      'jwt=s02',
      'code=s03',
      'private_token=s04',
      'token%00=s05',
      'password[]=s06',
      'user.password=s07',
      'Authorization=s08',
      'X-Amz-Credential=s09',
      'client-secret=s10',
    ];
    const answer = await send(g.port, `/items/7?${secrets.join('&')}&author=ann&page=2`, {
      headers: {
        'x-vault-token': 's11',
        'x-goog-api-key': 's12',
        'ocp-apim-subscription-key': 's13',
        'x-session-token': 's14',
        'x-my-secret': 's15',
        accept: 'application/json',
      },
    });
    expect(answer.status).toBe(200);
    const req = seen.find((e) => e.event_type === 'request')?.data as RequestData;
    expect(req.query).toMatchObject({ author: 'ann', page: '2', jwt: '[REDACTED]', code: '[REDACTED]' });
    expect(req.headers).toMatchObject({ accept: 'application/json', 'x-vault-token': '[REDACTED]' });
    expect(JSON.stringify(seen)).not.toMatch(/"s\d\d"|=s\d\d/);
  });

  it('takes more names from telemetry/events (redact_headers, redact_query)', async () => {
    const backend = await startBackend((_req, res) => json(res, { ok: true }));
    closers.push(() => backend.close());
    const { g, seen } = await gatewayWithEvents(backend, {
      redact_headers: ['X-Tenant-Secret'],
      redact_query: ['Page'],
    });
    await send(g.port, '/items/7?page=2&q=ok', { headers: { 'x-tenant-secret': 's' } });
    const req = seen.find((e) => e.event_type === 'request')?.data as RequestData;
    expect(req.headers['x-tenant-secret']).toBe('[REDACTED]');
    expect(req.query).toEqual({ page: '[REDACTED]', q: 'ok' });
    const res = seen.find((e) => e.event_type === 'response')?.data as ResponseData;
    expect(res.backends[0]?.url).toContain('page=[REDACTED]');
  });

  it('redacts a password in a backend URL and keeps a path whose query holds nothing secret', () => {
    const hub = new EventHub({ settings: { health_interval: '1h' } });
    closers.push(() => hub.close());
    const seen: Envelope[] = [];
    hub.subscribe((e) => seen.push(e));
    const req = {
      request_id: 'r1',
      method: 'GET',
      path: '/a',
      endpoint: '/a',
      query: {},
      client_ip: '127.0.0.1',
      headers: {},
      body_bytes: 0,
    };
    hub.requestFinished(req, {
      status: 200,
      latency_ms: 1,
      bytes: 1,
      completed: true,
      backends: [
        { url: 'http://user:hunter2@127.0.0.1:9/x?sig=abc#f', method: 'GET', status: 200, latency_ms: 1 },
      ],
    });
    const data = seen[0]?.data as ResponseData;
    expect(data.backends[0]?.url).toBe('http://user:[REDACTED]@127.0.0.1:9/x?sig=[REDACTED]#f');
  });
});

describe('health checks', () => {
  it('are not recorded as events by default, and are with record_health_checks', async () => {
    const backend = await startBackend((_req, res) => json(res, { ok: true }));
    closers.push(() => backend.close());
    const quiet = await gatewayWithEvents(backend);
    expect((await send(quiet.g.port, '/__health')).status).toBe(200);
    expect((await send(quiet.g.port, '/items/1')).status).toBe(200);
    expect(quiet.seen.map((e) => (e.data as RequestData).path)).toEqual(['/items/1', '/items/1']);

    const told = await gatewayWithEvents(backend, { record_health_checks: true });
    expect((await send(told.g.port, '/__health')).status).toBe(200);
    expect(told.seen.map((e) => `${e.event_type} ${(e.data as RequestData).path}`)).toEqual([
      'request /__health',
      'response /__health',
    ]);
  });
});
