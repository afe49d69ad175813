import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// The `router` namespace options Switchyard implements.
describe('router options', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { url: req.url }));
    gw = await startGateway({
      host: [backend.origin],
      extra_config: {
        router: {
          auto_options: true,
          remove_extra_slash: true,
          disable_redirect_trailing_slash: true,
          health_path: '/healthz',
          hide_version_header: true,
        },
      },
      endpoints: [
        { endpoint: '/items', backend: [{ url_pattern: '/i' }] },
        { endpoint: '/items', method: 'POST', backend: [{ url_pattern: '/i' }] },
        { endpoint: '/items/{id}', method: 'DELETE', backend: [{ url_pattern: '/i/{id}' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('auto_options answers OPTIONS with the methods of the path', async () => {
    const res = await send(gw.port, '/items', { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.body).toBe('');
    expect((await send(gw.port, '/items/3', { method: 'OPTIONS' })).headers.allow).toBe('DELETE');
  });

  it('remove_extra_slash routes //items//3 like /items/3', async () => {
    const res = await send(gw.port, '//items//3', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ url: '/i/3' });
  });

  it('disable_redirect_trailing_slash answers 404 instead of redirecting', async () => {
    expect((await send(gw.port, '/items/')).status).toBe(404);
  });

  it('health_path moves the health endpoint', async () => {
    expect((await send(gw.port, '/healthz')).status).toBe(200);
    expect((await send(gw.port, '/__health')).status).toBe(404);
  });

  it('hide_version_header hides the version', async () => {
    expect((await send(gw.port, '/items')).headers['x-switchyard']).toBe('Version undefined');
  });
});

describe('router.disable_health', () => {
  it('removes the health endpoint', async () => {
    const gw = await startGateway({ extra_config: { router: { disable_health: true } }, endpoints: [] });
    expect((await send(gw.port, '/__health')).status).toBe(404);
    await gw.close();
  });
});

describe('the client address sent as X-Forwarded-For', () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend((req, res) => json(res, { xff: req.headers['x-forwarded-for'] }));
  });
  afterAll(() => backend.close());

  const xff = async (router: Record<string, unknown>, headers: Record<string, string>) => {
    const gw = await startGateway({
      host: [backend.origin],
      extra_config: { router },
      endpoints: [{ endpoint: '/ip', backend: [{ url_pattern: '/ip' }] }],
    });
    const res = await send(gw.port, '/ip', { headers });
    await gw.close();
    return JSON.parse(res.body).xff as string;
  };

  it('is the peer address unless forwarded_by_client_ip is set', async () => {
    expect(await xff({}, { 'X-Forwarded-For': '203.0.113.7' })).toBe('127.0.0.1');
  });

  it('comes from X-Forwarded-For (or X-Real-IP) with forwarded_by_client_ip', async () => {
    // Without trusted_proxies every hop is trusted (as in gin): the leftmost address is the client.
    expect(await xff({ forwarded_by_client_ip: true }, { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' })).toBe(
      '203.0.113.7',
    );
    expect(await xff({ forwarded_by_client_ip: true }, { 'X-Real-IP': '198.51.100.2' })).toBe('198.51.100.2');
  });

  it('skips trusted proxies, and ignores the header from an untrusted peer', async () => {
    const trusted = { forwarded_by_client_ip: true, trusted_proxies: ['127.0.0.1', '10.0.0.0/8'] };
    expect(await xff(trusted, { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' })).toBe('203.0.113.7');
    const untrusted = { forwarded_by_client_ip: true, trusted_proxies: ['192.0.2.0/24'] };
    expect(await xff(untrusted, { 'X-Forwarded-For': '203.0.113.7' })).toBe('127.0.0.1');
  });
});
