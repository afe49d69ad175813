import { type IncomingHttpHeaders, request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

describe('compressed backend answers', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/gzip': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          res.end(gzipSync(JSON.stringify({ zipped: true, list: [1, 2, 3] })));
        },
        '/bad-gzip': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          res.end('{"not":"gzip"}');
        },
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        { endpoint: '/gzip', backend: [{ url_pattern: '/gzip', allow: ['zipped'] }] },
        { endpoint: '/bad-gzip', backend: [{ url_pattern: '/bad-gzip' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('decodes a gzip body before working on it', async () => {
    const res = await send(gw.port, '/gzip');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"zipped":true}');
  });

  it('answers 500 (KrakenD status for any failure) to a body that is not what its Content-Encoding says', async () => {
    const res = await send(gw.port, '/bad-gzip');
    expect(res.status).toBe(500);
  });
});

describe("Accept-Encoding: gzip, as Go's transport asks for it", () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let plain: TestGateway;
  const last = () => backend.received[backend.received.length - 1]!;
  const text = 'x'.repeat(2000);

  beforeAll(async () => {
    // Compresses only when asked to, as a real server does.
    backend = await startBackend((req, res) => {
      const body = JSON.stringify({ text });
      if (req.headers['accept-encoding'] === 'gzip') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end(gzipSync(body));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
      }
    });
    const noop = (endpoint: string, extra: Record<string, unknown> = {}) => ({
      endpoint,
      output_encoding: 'no-op' as const,
      backend: [{ url_pattern: '/n', encoding: 'no-op' as const }],
      ...extra,
    });
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        { endpoint: '/buffered', backend: [{ url_pattern: '/b' }] },
        noop('/no-op'),
        noop('/no-op-forwarded', { input_headers: ['Accept-Encoding'] }),
        noop('/head', { method: 'HEAD' }),
      ],
    });
    plain = await startGateway({
      host: [backend.origin],
      disable_compression: true,
      endpoints: [noop('/no-op')],
    });
  });
  afterAll(async () => {
    await plain.close();
    await gw.close();
    await backend.close();
  });

  it('asks for gzip and decodes the answer before working on it', async () => {
    const res = await send(gw.port, '/buffered');
    expect(last().headers['accept-encoding']).toBe('gzip');
    expect(JSON.parse(res.body)).toEqual({ text });
  });

  it('decodes a gzip no-op answer it asked for itself, without Content-Encoding and Content-Length', async () => {
    const res = await send(gw.port, '/no-op');
    expect(last().headers['accept-encoding']).toBe('gzip');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(JSON.parse(res.body)).toEqual({ text });
  });

  it('passes a gzip answer through untouched when the client asked for it', async () => {
    const res = await sendRaw(gw.port, '/no-op-forwarded', { 'Accept-Encoding': 'gzip' });
    expect(last().headers['accept-encoding']).toBe('gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString())).toEqual({ text });
  });

  it('does not ask with disable_compression, nor for HEAD', async () => {
    const res = await send(plain.port, '/no-op');
    expect(last().headers['accept-encoding']).toBeUndefined();
    expect(JSON.parse(res.body)).toEqual({ text });
    await send(gw.port, '/head', { method: 'HEAD' });
    expect(last().method).toBe('HEAD');
    expect(last().headers['accept-encoding']).toBeUndefined();
  });
});

/** A GET whose body is kept as bytes (a gzip body is not text). */
function sendRaw(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
