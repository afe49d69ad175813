import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestConfig, type TestGateway } from '../support/gateway.js';

/** Bytes as written (repeated header fields), the whole answer as text. */
function sendRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

const HEADERS = {
  frame_deny: true,
  content_type_nosniff: true,
  browser_xss_filter: true,
  content_security_policy: "default-src 'self'",
  referrer_policy: 'same-origin',
  sts_seconds: 31536000,
  sts_include_subdomains: true,
};

describe('security/http', () => {
  let backend: TestBackend;
  const gateways: TestGateway[] = [];
  const start = async (secure: Record<string, unknown>): Promise<number> => {
    const config: TestConfig = {
      host: [backend.origin],
      extra_config: { 'security/http': secure },
      endpoints: [{ endpoint: '/data', backend: [{ url_pattern: '/data' }] }],
    };
    const gw = await startGateway(config);
    gateways.push(gw);
    return gw.port;
  };

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await backend.close();
  });

  const secureHeaders = (h: Record<string, unknown>) =>
    Object.fromEntries(
      [
        'x-frame-options',
        'x-content-type-options',
        'x-xss-protection',
        'content-security-policy',
        'referrer-policy',
        'strict-transport-security',
      ]
        .filter((k) => h[k] !== undefined)
        .map((k) => [k, h[k]]),
    );

  it('adds the security headers to endpoint answers and to 404s; HSTS only on TLS', async () => {
    const port = await start({ ...HEADERS, ssl_proxy_headers: { 'X-Forwarded-Proto': 'https' } });
    const plain = await send(port, '/data');
    expect(plain.status).toBe(200);
    expect(secureHeaders(plain.headers)).toEqual({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'x-xss-protection': '1; mode=block',
      'content-security-policy': "default-src 'self'",
      'referrer-policy': 'same-origin',
    });
    const tls = await send(port, '/nowhere', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(tls.status).toBe(404);
    expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(tls.headers['x-frame-options']).toBe('DENY');
  });

  it('custom_frame_options_value wins over frame_deny; force_sts_header sends HSTS on plain HTTP', async () => {
    const port = await start({
      frame_deny: true,
      custom_frame_options_value: 'SAMEORIGIN',
      sts_seconds: 60,
      force_sts_header: true,
    });
    const a = await send(port, '/data');
    expect(a.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(a.headers['strict-transport-security']).toBe('max-age=60');
  });

  it('answers a host not in allowed_hosts 500 "Bad Host" without calling the backend', async () => {
    const port = await start({ ...HEADERS, allowed_hosts: ['api.example.com', 'Example.org'] });
    const before = backend.received.length;
    const bad = await send(port, '/data', { headers: { Host: 'evil.example.net' } });
    expect(bad.status).toBe(500);
    expect(bad.body).toBe('Bad Host\n');
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
    expect(bad.headers['x-frame-options']).toBeUndefined();
    expect(backend.received.length).toBe(before);
    expect((await send(port, '/data', { headers: { Host: 'EXAMPLE.org' } })).status).toBe(200);
  });

  it('reads the host from host_proxy_headers first; allowed_hosts_are_regex uses Go regular expressions', async () => {
    const port = await start({
      allowed_hosts: ['[a-z]+\\.example\\.com', 'example\\.org'],
      allowed_hosts_are_regex: true,
      host_proxy_headers: ['X-Forwarded-Host'],
    });
    const via = (host: string, forwarded?: string) =>
      send(port, '/data', {
        headers: { Host: host, ...(forwarded ? { 'X-Forwarded-Host': forwarded } : {}) },
      });
    expect((await via('api.example.com')).status).toBe(200);
    expect((await via('api.example.com', 'evil.net')).status).toBe(500);
    expect((await via('127.0.0.1', 'shop.example.com')).status).toBe(200);
    // The patterns are anchored, as unrolled/secure compiles them: no match inside a longer host.
    expect((await via('evil-example.org.attacker.net')).status).toBe(500);
    expect((await via('api.example.com.attacker.net')).status).toBe(500);
    expect((await via('example.org')).status).toBe(200);
  });

  it('redirects plain HTTP to https with 301 (to ssl_host when set), as Go’s http.Redirect words it', async () => {
    const port = await start({ ssl_redirect: true, ssl_host: 'secure.example.com' });
    const a = await send(port, '/data?x=1&y=<2>', { headers: { Host: 'api.example.com' } });
    expect(a.status).toBe(301);
    expect(a.headers.location).toBe('https://secure.example.com/data?x=1&y=<2>');
    expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(a.body).toBe(
      '<a href="https://secure.example.com/data?x=1&amp;y=&lt;2&gt;">Moved Permanently</a>.\n\n',
    );
    const post = await send(port, '/data', { method: 'POST', headers: { Host: 'api.example.com' } });
    expect(post.status).toBe(301);
    expect(post.body).toBe('');
    expect(post.headers['content-type']).toBeUndefined();
    const tls = await send(port, '/data', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(tls.status).toBe(301);
  });

  it('does not redirect a request ssl_proxy_headers mark as TLS', async () => {
    const port = await start({ ssl_redirect: true, ssl_proxy_headers: { 'X-Forwarded-Proto': 'https' } });
    expect((await send(port, '/data', { headers: { 'X-Forwarded-Proto': 'https' } })).status).toBe(200);
    const plain = await send(port, '/data', { headers: { Host: 'api.example.com' } });
    expect(plain.headers.location).toBe('https://api.example.com/data');
  });

  it('sends configured values with newlines as Go does, one line each (no crash)', async () => {
    const port = await start({ content_security_policy: "default-src 'self';\r\n  img-src *\n" });
    const a = await send(port, '/data');
    expect(a.status).toBe(200);
    expect(a.headers['content-security-policy']).toBe("default-src 'self';    img-src *");
    expect((await send(port, '/data')).status).toBe(200);
  });

  it('refuses a header value with a control or non-ASCII character, naming the field', async () => {
    await expect(start({ referrer_policy: 'same\u0000origin' })).rejects.toThrow(
      /security\/http: referrer_policy holds U\+0000 at 4; a header value must be printable ASCII/,
    );
    await expect(
      start({ custom_frame_options_value: 'ALLOW-FROM https://b\u00fccher.example/\u20ac' }),
    ).rejects.toThrow(/custom_frame_options_value holds U\+00FC at 20/);
  });

  it('redirects an absolute-form request to its path, and reads the first of repeated proxy headers', async () => {
    const port = await start({
      ssl_redirect: true,
      host_proxy_headers: ['X-Forwarded-Host'],
      ssl_proxy_headers: { 'X-Forwarded-Proto': 'https' },
    });
    const abs = await send(port, 'http://api.example.com/data?x=1', { headers: { Host: 'api.example.com' } });
    expect(abs.status).toBe(301);
    expect(abs.headers.location).toBe('https://api.example.com/data?x=1');
    const twice = await sendRaw(
      port,
      'GET /data HTTP/1.1\r\nHost: h\r\nX-Forwarded-Host: one.example\r\nX-Forwarded-Host: two.example\r\n' +
        'X-Forwarded-Proto: http\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
    );
    expect(twice).toMatch(/^HTTP\/1\.1 301/);
    expect(twice).toMatch(/\r\nLocation: https:\/\/one\.example\/data\r\n/i);
  });

  it('is_development turns off the host check, the redirect and HSTS, not the other headers', async () => {
    const port = await start({
      ...HEADERS,
      allowed_hosts: ['api.example.com'],
      ssl_redirect: true,
      force_sts_header: true,
      is_development: true,
    });
    const a = await send(port, '/data', { headers: { Host: 'other.example' } });
    expect(a.status).toBe(200);
    expect(a.headers['strict-transport-security']).toBeUndefined();
    expect(a.headers['x-frame-options']).toBe('DENY');
  });
});
