import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { createLogger } from '@switchyard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { endlessPost } from '../../shared/test/support/endless-post.js';
import { type AdminServer, createAdminServer } from '../src/admin/index.js';
import { EventHub } from '../src/events/index.js';
import { closedPort } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway } from './support/gateway.js';
import { capturingLogger } from './support/logs.js';

// An attacker's pass over the gateway's listeners: 3,000 `GET /__events` clients that never read took the
// admin listener from 262 to 791 MB and its /__health to 16 s; a POST with an endless chunked body to a
// 404, a 405 or the admin API was answered and then read (and discarded) for as long as it came: 700 MB in
// 40 s on one connection, up to the request timeout (300 s on the gateway by default).

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function startAdmin(maxStreams?: number): Promise<{ admin: AdminServer; url: string }> {
  const hub = new EventHub({ nodeId: 'n1' });
  closers.push(() => hub.close());
  const admin = createAdminServer({
    hub,
    listen: '127.0.0.1:0',
    health: () => ({ status: 'ok' }),
    logger: createLogger({ level: 'silent' }),
    ...(maxStreams !== undefined && { maxStreams }),
  });
  const { url } = await admin.start();
  closers.push(() => admin.close());
  return { admin, url };
}

function open(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => resolve(res));
    req.on('error', reject);
    req.end();
  });
}

describe('admin listener: event stream count', () => {
  it('refuses a stream beyond admin.max_streams with 503 SWY_ADMIN_BUSY and Retry-After; a closed one frees its place', async () => {
    const { admin, url } = await startAdmin(2);
    const first = await open(`${url}/__events`);
    const second = await open(`${url}/__events`);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    const third = await open(`${url}/__events`);
    expect(third.statusCode).toBe(503);
    expect(third.headers['retry-after']).toBe('5');
    expect(third.headers.connection).toBe('close');
    let text = '';
    for await (const chunk of third) text += chunk;
    const body = JSON.parse(text);
    expect(body).toMatchObject({ code: 'SWY_ADMIN_BUSY', max_streams: 2 });
    // Health is still served.
    expect((await open(`${url}/__health`)).statusCode).toBe(200);
    first.destroy();
    await vi.waitFor(() => expect(admin.streams).toBe(1));
    const again = await open(`${url}/__events`);
    expect(again.statusCode).toBe(200);
    second.destroy();
    again.destroy();
  });

  it('allows 64 streams by default', async () => {
    const { url } = await startAdmin();
    const streams = await Promise.all(Array.from({ length: 64 }, () => open(`${url}/__events`)));
    expect(streams.every((s) => s.statusCode === 200)).toBe(true);
    expect((await open(`${url}/__events`)).statusCode).toBe(503);
    for (const s of streams) s.destroy();
  });
});

describe('an endless request body answered before it was read', () => {
  it('the admin listener answers 405 and closes the connection instead of reading on', async () => {
    const { url } = await startAdmin();
    const res = await endlessPost(Number(new URL(url).port), '/__health');
    expect(res.status).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(res.sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('the gateway answers 404 and 405 and closes the connection instead of reading on', async () => {
    const g = await startGateway({
      endpoints: [{ endpoint: '/only-get', backend: [{ host: ['http://127.0.0.1:9'], url_pattern: '/' }] }],
    });
    closers.push(() => g.close());
    const notFound = await endlessPost(g.port, '/nowhere');
    expect(notFound.status).toBe('HTTP/1.1 404 Not Found');
    expect(notFound.sent).toBeLessThan(64 * 1024 * 1024);
    const wrongMethod = await endlessPost(g.port, '/only-get');
    expect(wrongMethod.status).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(wrongMethod.sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a 404 to a small body that was sent whole keeps the connection: the next request is answered', async () => {
    const g = await startGateway({ endpoints: [] });
    closers.push(() => g.close());
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(g.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.write(
        'POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789' +
          'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
    });
    expect(answer.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 404', 'HTTP/1.1 404']);
  });
});

describe('logs', () => {
  // The backend failure line quoted the URL called: the client's `?jwt=` and the url_pattern's api_key.
  it('a backend failure is logged with the secret query values of the URL it called redacted', async () => {
    const port = await closedPort();
    const { logger, lines } = capturingLogger('warn');
    const g = await startGateway(
      {
        endpoints: [
          {
            endpoint: '/f',
            input_query_strings: ['*'],
            backend: [{ host: [`http://127.0.0.1:${port}`], url_pattern: '/x?api_key=configured-key' }],
          },
        ],
      },
      { logger },
    );
    closers.push(() => g.close());
    const answer = await send(g.port, '/f?jwt=client-jwt&page=2');
    expect(answer.status).toBe(500);
    await vi.waitFor(() => expect(lines.join('')).toContain('backend failure'));
    const text = lines.join('');
    expect(text).toContain('page=2');
    expect(text).toContain('api_key=[REDACTED]');
    expect(text).not.toMatch(/configured-key|client-jwt/);
  });
});

describe('Host', () => {
  it('a request with two Host headers is answered 400 and not routed', async () => {
    const g = await startGateway({
      endpoints: [{ endpoint: '/a', backend: [{ host: ['http://127.0.0.1:9'], url_pattern: '/' }] }],
    });
    closers.push(() => g.close());
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(g.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.end('GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n');
    });
    expect(answer.split('\r\n', 1)[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).toContain('too many Host headers');
  });

  it('an absolute-form target names the host (RFC 9112 §3.2.2, as Go reads it): allowed_hosts checks it, not Host', async () => {
    const g = await startGateway({
      extra_config: { 'security/http': { allowed_hosts: ['good.example'] } },
      endpoints: [{ endpoint: '/a', backend: [{ host: ['http://127.0.0.1:9'], url_pattern: '/' }] }],
    });
    closers.push(() => g.close());
    const ask = (head: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(g.port, '127.0.0.1');
        let text = '';
        socket.on('data', (d) => {
          text += d.toString('latin1');
        });
        socket.on('close', () => resolve(text));
        socket.end(`${head}\r\nConnection: close\r\n\r\n`);
      });
    const evil = await ask('GET http://evil.example/a HTTP/1.1\r\nHost: good.example');
    expect(evil.split('\r\n', 1)[0]).toBe('HTTP/1.1 500 Internal Server Error');
    expect(evil).toContain('Bad Host');
    const good = await ask('GET http://good.example/a HTTP/1.1\r\nHost: evil.example');
    expect(good).not.toContain('Bad Host');
  });
});

describe('debug log', () => {
  it('/__debug/ logs headers that look like secrets redacted, as events carry them', async () => {
    const { logger, lines } = capturingLogger('debug');
    const g = await startGateway({ endpoints: [] }, { debug: true, logger });
    closers.push(() => g.close());
    const res = await send(g.port, '/__debug/x', {
      headers: { 'X-Vault-Token': 'vault-secret', 'X-Goog-Api-Key': 'goog-secret', 'X-Trace': 'kept' },
    });
    expect(res.status).toBe(200);
    const text = lines.join('\n');
    expect(text).toContain('kept');
    expect(text).not.toMatch(/vault-secret|goog-secret/);
  });
});
