import { eventProxySettingsFromEnv } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger, isSwitchyardError } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exposure } from '../src/listener/exposure.js';
import { fileProxy } from './support/file-proxy.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';
import { failureOf } from './support/wait.js';

// Issue 16, probe 2: anyone who reached ingest could inject events; `:PORT` bound every interface.

const tmp = tempDir('ingest-auth');
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
});
afterAll(() => tmp.cleanup());

async function post(url: string, path: string, body: unknown, authorization?: string) {
  const res = await request(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

describe('ingest exposure', () => {
  it('EVENT_PROXY_TOKEN: ingest without the bearer token is 401 and takes nothing; health and metrics stay open', async () => {
    const p = await fileProxy(tmp.dir, 'token', { ingest: { token: 's3cret-token' } as never });
    proxy = p.proxy;
    const [a, b, c] = sampleEvents(3);
    for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret-tokenX', 'Basic czNjcmV0LXRva2Vu']) {
      const res = await post(p.url, '/events', a, auth);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('SWY_INGEST_UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toContain('Bearer');
      expect(JSON.stringify(res.json)).not.toContain('s3cret');
    }
    expect((await post(p.url, '/kong/http-log', {})).status).toBe(401);
    expect((await post(p.url, '/events', b, 'Bearer s3cret-token')).status).toBe(202);
    expect((await post(p.url, '/events', c, 'bearer  s3cret-token')).status).toBe(202);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await request(`${p.url}${path}`);
      await res.body.dump();
      expect([path, res.statusCode]).toEqual([path, 200]);
    }
    await proxy.flush(10_000);
    expect(p.delivered()).toEqual([b, c]);
  });

  it('EVENT_PROXY_INGEST=off: both ingest routes answer 404 SWY_INGEST_OFF; /healthz still answers', async () => {
    const p = await fileProxy(tmp.dir, 'off', { ingest: { enabled: false } as never });
    proxy = p.proxy;
    for (const path of ['/events', '/kong/http-log']) {
      const res = await post(p.url, path, sampleEvents(1)[0]);
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('SWY_INGEST_OFF');
    }
    const health = await request(`${p.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('`:PORT` listens on loopback', async () => {
    const p = await fileProxy(tmp.dir, 'colon', { listen: ':0' });
    proxy = p.proxy;
    expect(proxy.address?.host).toBe('127.0.0.1');
  });

  it('a non-loopback listener with ingest on and no token does not start: SWY_LISTEN_INSECURE names the way out', async () => {
    // Refused before binding: nothing listens beyond loopback.
    const settings = proxySettings(tmp.dir, {
      listen: '0.0.0.0:0',
      target: { type: 'file', file: { path: `${tmp.dir}/insecure.ndjson` } as never },
    });
    proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
    const err = await failureOf(proxy.start());
    expect(isSwitchyardError(err, 'SWY_LISTEN_INSECURE')).toBe(true);
    expect((err as Error).message).toContain('EVENT_PROXY_TOKEN');
    expect((err as Error).message).toContain('EVENT_PROXY_ALLOW_INSECURE=true');
    expect(proxy.address).toBeUndefined();
  });

  it('exposure: loopback, a token or ingest off are fine; otherwise refused unless allow_insecure (then a warning)', () => {
    const ingest = { allow_insecure: false, max_body_bytes: 1, max_items: 1, max_in_flight_bytes: 1 };
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      expect([host, exposure(host, ingest)]).toEqual([host, 'ok']);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'gateway.internal', '128.0.0.1']) {
      expect([host, exposure(host, ingest)]).toEqual([host, 'refuse']);
      expect(exposure(host, { ...ingest, token: 't' })).toBe('ok');
      expect(exposure(host, { ...ingest, enabled: false })).toBe('ok');
      expect(exposure(host, { ...ingest, allow_insecure: true })).toBe('warn');
    }
  });

  it('the settings come from EVENT_PROXY_TOKEN, EVENT_PROXY_INGEST, EVENT_PROXY_ALLOW_INSECURE and EVENT_INGEST_MAX_ITEMS', () => {
    const settings = eventProxySettingsFromEnv({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: '-',
      EVENT_PROXY_TOKEN: 'tok',
      EVENT_PROXY_INGEST: 'off',
      EVENT_PROXY_ALLOW_INSECURE: 'true',
      EVENT_INGEST_MAX_ITEMS: '50',
      EVENT_INGEST_MAX_IN_FLIGHT_BYTES: '64MiB',
    });
    expect(settings.ingest).toMatchObject({
      token: 'tok',
      enabled: false,
      allow_insecure: true,
      max_items: 50,
      max_in_flight_bytes: 64 * 1024 * 1024,
    });
    const defaults = eventProxySettingsFromEnv({ TARGET_TYPE: 'file', TARGET_FILE_PATH: '-' }).ingest;
    expect(defaults).toEqual({
      allow_insecure: false,
      max_body_bytes: 10 * 1024 * 1024,
      max_items: 10_000,
      max_in_flight_bytes: 32 * 1024 * 1024,
    });
  });
});
