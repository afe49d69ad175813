import { gzipSync } from 'node:zlib';
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
