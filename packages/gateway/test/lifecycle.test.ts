import { Writable } from 'node:stream';
import type { GatewayFile } from '@switchyard/config';
import { createGateway, type RequestInfo, type ResponseInfo } from '@switchyard/gateway';
import { createLogger, isSwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { quietLogger, startGateway } from './support/gateway.js';
import { later, until } from './support/wait.js';

let backend: TestBackend;
let slowAnswered = false;

beforeAll(async () => {
  backend = await startBackend(
    routes({
      '/slow': (_req, res) =>
        later(res, 300, () => {
          slowAnswered = true;
          json(res, { version: 'slow' });
        }),
      '/one': (_req, res) => later(res, 300, () => json(res, { version: 1 })),
      '/two': { version: 2 },
      '/user': (req, res) => json(res, { url: req.url }),
    }),
  );
});
afterAll(() => backend.close());

describe('graceful close', () => {
  it('finishes requests in flight, then stops', async () => {
    const gw = await startGateway({
      host: [backend.origin],
      endpoints: [{ endpoint: '/slow', backend: [{ url_pattern: '/slow' }] }],
    });
    const before = backend.received.length;
    const inFlight = send(gw.port, '/slow');
    await until(() => backend.received.length > before);
    await gw.gateway.close();
    // close() resolved only once the backend had answered the request in flight…
    expect(slowAnswered).toBe(true);
    // …and that request got its whole answer.
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: 'slow' });
    await expect(send(gw.port, '/slow')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('listen', () => {
  it('refuses a port already in use with SWY_LISTEN_FAILED naming the address', async () => {
    const first = await startGateway({ endpoints: [] });
    const second = createGateway({
      config: { version: 3, endpoints: [] },
      host: '127.0.0.1',
      port: first.port,
      logger: quietLogger(),
      admin: false,
    });
    try {
      await expect(second.listen()).rejects.toMatchObject({
        code: 'SWY_LISTEN_FAILED',
        message: expect.stringContaining(`127.0.0.1:${first.port}: listen EADDRINUSE`),
      });
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('refuses an admin address already in use with SWY_LISTEN_FAILED', async () => {
    const first = await startGateway({ endpoints: [] });
    const second = createGateway({
      config: { version: 3, endpoints: [] },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: { listen: `127.0.0.1:${first.port}` },
    });
    try {
      const err = await second.listen().catch((e: unknown) => e);
      expect(isSwitchyardError(err, 'SWY_LISTEN_FAILED')).toBe(true);
      expect((err as Error).message).toContain('EADDRINUSE');
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('reload', () => {
  it('swaps routes atomically: requests in flight finish on the old ones', async () => {
    const config = (url_pattern: string): GatewayFile => ({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern }] }],
    });
    const gw = await startGateway(config('/one'));
    const before = backend.received.length;
    const old = send(gw.port, '/v');
    await until(() => backend.received.length > before);
    gw.gateway.reload(config('/two'));
    expect(JSON.parse((await send(gw.port, '/v')).body)).toEqual({ version: 2 });
    expect(JSON.parse((await old).body)).toEqual({ version: 1 });

    let error: unknown;
    const twice = config('/one');
    twice.endpoints?.push({ endpoint: '/v', backend: [{ url_pattern: '/two' }] });
    try {
      gw.gateway.reload(twice);
    } catch (err) {
      error = err;
    }
    expect(isSwitchyardError(error, 'SWY_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('conflicts with GET /v');
    expect(JSON.parse((await send(gw.port, '/v')).body)).toEqual({ version: 2 });
    await gw.close();
  });
});

describe('observer and logs', () => {
  it('reports each request and its response with the backend calls', async () => {
    const seen: { started: RequestInfo[]; finished: [RequestInfo, ResponseInfo][] } = {
      started: [],
      finished: [],
    };
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const gw = await startGateway(
      {
        host: [backend.origin],
        endpoints: [
          { endpoint: '/users/{id}', method: 'POST', backend: [{ url_pattern: '/user' }] },
          {
            endpoint: '/partial',
            backend: [{ url_pattern: '/two' }, { url_pattern: '/x', host: [refused] }],
          },
        ],
      },
      {
        observer: {
          requestStarted: (req) => seen.started.push(req),
          requestFinished: (req, res) => seen.finished.push([req, res]),
        },
      },
    );
    const res = await send(gw.port, '/users/42?a=1&b=2&b=3', {
      method: 'POST',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    await until(() => seen.finished.length === 1);
    const [req, out] = seen.finished[0]!;
    expect(seen.started[0]).toBe(req);
    expect(req).toMatchObject({
      method: 'POST',
      path: '/users/42',
      endpoint: '/users/{id}',
      query: { a: '1', b: ['2', '3'] },
      client_ip: '127.0.0.1',
      body_bytes: 5,
    });
    expect(req.request_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(req.headers.authorization).toBe('Bearer t');
    expect(out).toMatchObject({ status: 200, completed: true, bytes: Buffer.byteLength(res.body) });
    expect(out.backends).toHaveLength(1);
    expect(out.backends[0]).toMatchObject({ url: `${backend.origin}/user`, method: 'POST', status: 200 });
    expect(out.backends[0]?.latency_ms).toBeGreaterThanOrEqual(0);

    await send(gw.port, '/partial');
    await until(() => seen.finished.length === 2);
    const [, partial] = seen.finished[1]!;
    expect(partial).toMatchObject({ status: 200, completed: false });
    const failedCall = partial.backends.find((b) => b.status === null);
    expect(failedCall?.url).toBe(`${refused}/x`);
    expect(failedCall?.error).toMatch(/refused/);

    await send(gw.port, '/nothing-here');
    await until(() => seen.finished.length === 3);
    expect(seen.finished[2]![0].endpoint).toBe('');
    expect(seen.finished[2]![1].status).toBe(404);
    await gw.close();
  });

  it('keeps answering when the observer throws', async () => {
    const gw = await startGateway(
      { host: [backend.origin], endpoints: [{ endpoint: '/two', backend: [{ url_pattern: '/two' }] }] },
      {
        observer: {
          requestStarted: () => {
            throw new Error('observer bug');
          },
          requestFinished: () => {
            throw new Error('observer bug');
          },
        },
      },
    );
    const res = await send(gw.port, '/two');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: 2 });
    await gw.close();
  });

  it('logs through a child logger per request carrying its id', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        cb();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const gw = await startGateway(
      { host: [backend.origin], endpoints: [{ endpoint: '/two', backend: [{ url_pattern: '/two' }] }] },
      { logger },
    );
    await send(gw.port, '/two');
    await until(() => lines.some((l) => l.msg === 'request'));
    const access = lines.find((l) => l.msg === 'request')!;
    expect(access).toMatchObject({ method: 'GET', path: '/two', status: 200 });
    expect(access.request_id).toMatch(/^[0-9A-Z]{26}$/);
    await gw.close();
  });
});

describe('endpoints the gateway cannot build', () => {
  const host = ['http://127.0.0.1:1'];
  it.each([
    [
      'an undefined url_pattern placeholder',
      [{ endpoint: '/a', backend: [{ url_pattern: '/{id}' }] }],
      'placeholder {id} is undefined',
    ],
    [
      'a backend without host',
      [{ endpoint: '/a', backend: [{ url_pattern: '/a', host: [] }] }],
      'has no host',
    ],
    [
      'a POST endpoint with several backends, not sequential',
      [{ endpoint: '/a', method: 'POST', backend: [{ url_pattern: '/a' }, { url_pattern: '/b' }] }],
      'can only have several backends',
    ],
    [
      'no-op output with a json backend',
      [{ endpoint: '/a', output_encoding: 'no-op', backend: [{ url_pattern: '/a' }] }],
      'needs exactly one backend',
    ],
    [
      'only shadow backends',
      [{ endpoint: '/a', backend: [{ url_pattern: '/a', extra_config: { proxy: { shadow: true } } }] }],
      'not a shadow',
    ],
    [
      'a sequential placeholder on a later backend',
      [
        {
          endpoint: '/a',
          extra_config: { proxy: { sequential: true } },
          backend: [{ url_pattern: '/{resp1_id}' }, { url_pattern: '/b' }],
        },
      ],
      'may only name an earlier backend',
    ],
  ] as const)(
    'answers 500 for %s, logs why, and serves the other endpoints',
    async (_what, endpoints, message) => {
      const lines: { level: number; msg: string; reason?: string; endpoint?: string }[] = [];
      const destination = new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      });
      const gw = await startGateway(
        {
          host,
          endpoints: [
            ...(endpoints as unknown as NonNullable<GatewayFile['endpoints']>),
            { endpoint: '/ok', backend: [{ host: [backend.origin], url_pattern: '/two' }] },
          ],
        },
        { logger: createLogger({ level: 'info', destination }) },
      );
      try {
        const failed = await send(gw.port, '/a', {
          method: (endpoints[0] as { method?: string }).method ?? 'GET',
        });
        expect(failed.status).toBe(500);
        expect(failed.body).toBe('');
        expect(failed.headers['x-switchyard-completed']).toBeUndefined();
        expect((await send(gw.port, '/ok')).status).toBe(200);
        const logged = lines.find((l) => l.msg.startsWith('endpoint not served'));
        expect(logged).toMatchObject({ level: 50, endpoint: '/a' });
        expect(logged?.reason).toContain(message);
      } finally {
        await gw.close();
      }
    },
  );

  it('refuses the same endpoint twice (gin refuses the second route)', () => {
    let error: unknown;
    try {
      createGateway({
        config: {
          version: 3,
          host,
          endpoints: [
            { endpoint: '/a/{x}', backend: [{ url_pattern: '/a' }] },
            { endpoint: '/a/{y}', backend: [{ url_pattern: '/b' }] },
          ],
        },
        logger: quietLogger(),
      });
    } catch (err) {
      error = err;
    }
    expect(isSwitchyardError(error, 'SWY_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('conflicts with GET /a/{x}');
  });
});
