import type { ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { DEFAULT_MAX_BACKEND_BODY_BYTES } from '@switchyard/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { spawnGateway } from './support/gateway-process.js';
import { until } from './support/wait.js';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** What a streaming backend did: bytes it wrote, and answers cut short by the gateway. */
interface Writes {
  bytes: number;
  cut: number;
}

/** Streams `total` bytes with backpressure, stopping when the gateway closes the connection. */
function stream(
  res: ServerResponse,
  total: number,
  writes: Writes,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, { 'Content-Type': 'application/json', ...headers });
  let sent = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
    if (sent < total) writes.cut++;
  });
  const pump = () => {
    while (!closed && sent < total) {
      const chunk = total - sent < CHUNK.length ? CHUNK.subarray(0, total - sent) : CHUNK;
      sent += chunk.length;
      writes.bytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

/** A gzip stream of `size` zero bytes: a few hundred KiB that decode to `size`. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < size / MiB; i++) {
    if (!gz.write(zeros)) await new Promise((resolve) => gz.once('drain', resolve));
  }
  gz.end();
  await ended;
  return Buffer.concat(out);
}

// Issue 16.8: a backend body is bounded (after decompression) by a documented per-backend setting; at
// the limit the client gets the failure status (500, or 502 with transport_statuses) and the rest is never read.
describe('backend body limit (switchyard/backend max_body_bytes)', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let bomb: Buffer;
  const writes: Writes = { bytes: 0, cut: 0 };

  beforeAll(async () => {
    bomb = await gzipBomb(256 * MiB);
    backend = await startBackend(
      routes({
        '/big': (_req, res) => stream(res, 64 * MiB, writes),
        '/default': (_req, res) => stream(res, DEFAULT_MAX_BACKEND_BODY_BYTES + CHUNK.length, writes),
        '/announced': (_req, res) => stream(res, 8 * MiB, writes, { 'Content-Length': String(8 * MiB) }),
        '/bomb': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          res.end(bomb);
        },
        '/small': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"ok":true}');
        },
      }),
    );
    const limited = { 'switchyard/backend': { max_body_bytes: MiB } };
    gw = await startGateway({
      host: [backend.origin],
      extra_config: { router: { return_error_msg: true }, 'switchyard/backend': { max_body_bytes: 2 * MiB } },
      endpoints: [
        { endpoint: '/big', backend: [{ url_pattern: '/big', extra_config: limited }] },
        { endpoint: '/announced', backend: [{ url_pattern: '/announced', extra_config: limited }] },
        { endpoint: '/bomb', backend: [{ url_pattern: '/bomb' }] },
        { endpoint: '/small', backend: [{ url_pattern: '/small', extra_config: limited }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it("answers KrakenD's failure status (500) at the limit and stops reading the backend", async () => {
    const cut = writes.cut;
    const res = await send(gw.port, '/big');
    expect(res.status).toBe(500);
    expect(res.body).toContain(`answered more than ${MiB} bytes (max_body_bytes)`);
    // The backend's connection was closed long before its 64 MiB were read.
    await until(() => writes.cut === cut + 1);
    expect(writes.bytes).toBeLessThan(32 * MiB);
  });

  it('refuses an announced Content-Length over the limit before reading the body', async () => {
    const res = await send(gw.port, '/announced');
    expect(res.status).toBe(500);
    expect(res.body).toContain('max_body_bytes');
  });

  it('bounds a gzip bomb by its decoded size (the root setting applies to every backend)', async () => {
    const res = await send(gw.port, '/bomb');
    expect(res.status).toBe(500);
    expect(res.body).toContain(`answered more than ${2 * MiB} bytes (max_body_bytes)`);
  });

  it('lets a body under the limit through', async () => {
    const res = await send(gw.port, '/small');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"ok":true}');
  });

  it(`has a default of ${DEFAULT_MAX_BACKEND_BODY_BYTES / MiB} MiB`, async () => {
    const other = await startGateway({
      host: [backend.origin],
      endpoints: [{ endpoint: '/default', backend: [{ url_pattern: '/default' }] }],
    });
    try {
      expect((await send(other.port, '/default')).status).toBe(500);
    } finally {
      await other.close();
    }
  });
});

// The probe of issue 16.8, in a process of its own so its peak memory can be read: many large answers
// and gzip bombs at once leave the gateway's peak resident memory within a bound set by the limit, not by
// the bodies (64 MiB each before: hundreds of MiB per few requests).
describe('backend body memory, measured in a gateway process', () => {
  let backend: TestBackend;
  const writes: Writes = { bytes: 0, cut: 0 };
  let bomb: Buffer;

  beforeAll(async () => {
    bomb = await gzipBomb(512 * MiB);
    backend = await startBackend(
      routes({
        '/big': (_req, res) => stream(res, 48 * MiB, writes),
        '/bomb': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          res.end(bomb);
        },
      }),
    );
  });
  afterAll(async () => {
    await backend.close();
  });

  it('keeps peak memory bounded under 16 large answers and 16 gzip bombs at once', async () => {
    const gw = await spawnGateway({
      host: [backend.origin],
      timeout: '30s',
      extra_config: { 'switchyard/backend': { max_body_bytes: MiB } },
      endpoints: [
        { endpoint: '/big', backend: [{ url_pattern: '/big' }] },
        { endpoint: '/bomb', backend: [{ url_pattern: '/bomb' }] },
      ],
    });
    try {
      // Warm up (code loaded, pools open), then measure from there.
      for (const path of ['/big', '/bomb']) expect((await send(gw.port, path)).status).toBe(500);
      const baseline = await gw.maxRss();
      const answers = await Promise.all(
        Array.from({ length: 32 }, (_, i) => send(gw.port, i % 2 === 0 ? '/big' : '/bomb')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(32).fill(500));
      const growth = (await gw.maxRss()) - baseline;
      expect(growth).toBeLessThan(160 * MiB);
    } finally {
      await gw.close();
    }
  });
});
