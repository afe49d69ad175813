import { join } from 'node:path';
import { main, type RunningSwitchyard, startRun } from '@switchyard/cli';
import type { Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  expectRequestResponse,
  gatewayConfig,
  get,
  readNdjson,
  sendUserRequests,
  silent,
  startBackend,
  tempDir,
  testIO,
  until,
  writeJson,
} from './support/switchyard.js';

// The CLI modes that only make sense end to end: `events tail` against a running gateway, and `demo`.

const tmp = tempDir('cli');
let backend: Backend;
let gateway: RunningSwitchyard;
let admin: string;
let base: string;

beforeAll(async () => {
  backend = await startBackend();
  const file = writeJson(
    join(tmp.dir, 'krakend.json'),
    gatewayConfig(backend.url, [], {
      extra_config: {
        'telemetry/events': { health_interval: '1h', redact_headers: ['X-Secret'] },
        admin: { token: 's3cret' },
      },
    }),
  );
  const started = await startRun({ file, debug: false, port: 0, adminListen: '127.0.0.1:0' }, testIO(), {
    proxy: null,
    host: '127.0.0.1',
    logger: silent(),
  });
  if (!started) throw new Error('the gateway file was refused');
  gateway = started;
  admin = gateway.gateway.adminAddress?.url as string;
  base = `http://127.0.0.1:${gateway.gateway.address?.port}`;
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  tmp.cleanup();
});

describe('switchyard events tail', () => {
  it('piped: prints the live stream as NDJSON, only the asked types, with the bearer token', async () => {
    const io = testIO();
    const done = main(['events', 'tail', '--from', admin, '--token', 's3cret', '--types', 'response'], io);
    await until(() => io.err().includes('connected to'), 'tail to connect');
    await sendUserRequests(base, 2);
    await until(() => io.out().split('\n').filter(Boolean).length >= 2, 'two lines', 10_000);
    io.stop('SIGINT');
    expect(await done).toBe(0);
    const events = io
      .out()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Envelope);
    expect(events.map((e) => [e.event_type, (e.data as { path: string }).path])).toEqual([
      ['response', '/users/1'],
      ['response', '/users/2'],
    ]);
    expect(io.err()).toBe(`switchyard events tail: connected to ${admin}/__events\n`);
  });

  it('--format text: one readable line per event', async () => {
    const io = testIO({ GATEWAY_ADMIN_URL: admin, GATEWAY_ADMIN_TOKEN: 's3cret' });
    const done = main(['events', 'tail', '--format', 'text'], io);
    await until(() => io.err().includes('connected to'), 'tail to connect');
    await sendUserRequests(base, 1, 7);
    await until(() => io.out().split('\n').filter(Boolean).length >= 2, 'two lines', 10_000);
    io.stop('SIGINT');
    expect(await done).toBe(0);
    const [request, response] = io.out().split('\n');
    expect(request).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} request +GET \/users\/7 +endpoint=\/users\/\{id\} client=127\.0\.0\.1 request_id=\w{26}$/,
    );
    expect(response).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} response +200 GET \/users\/7 +[\d.]+ ms +\d+ B +backends: 200 GET /,
    );
  });

  it('pointed at something that is not the admin API (the public port, a wrong path), says so and stops', async () => {
    for (const wrong of [base, `${admin}/nope`]) {
      const io = testIO();
      expect(await main(['events', 'tail', '--from', wrong, '--token', 's3cret'], io)).toBe(1);
      const lines = io.err().split('\n').filter(Boolean);
      expect(lines).toEqual([
        expect.stringMatching(
          /^switchyard events: .*\/__events answered 404 .*not an event stream: --from takes the gateway's admin API/,
        ),
      ]);
    }
  });

  it('refuses a wrong token at once', async () => {
    const io = testIO();
    expect(await main(['events', 'tail', '--from', admin, '--token', 'nope'], io)).toBe(1);
    expect(io.err()).toContain('answered 401: the token was refused');
  });

  it('says what is wrong with its arguments', async () => {
    const missing = testIO();
    expect(await main(['events', 'tail'], missing)).toBe(1);
    expect(missing.err()).toContain('missing --from URL');
    const badType = testIO();
    expect(await main(['events', 'tail', '--from', admin, '--types', 'requests'], badType)).toBe(1);
    expect(badType.err()).toContain('unknown event type "requests"');
  });
});

describe('switchyard events with GATEWAY_ADMIN_URL', () => {
  it('runs the event proxy apart, reading the gateway stream into its sink until SIGTERM', async () => {
    const out = join(tmp.dir, 'apart.ndjson');
    const io = testIO({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: out,
      GATEWAY_ADMIN_URL: admin,
      GATEWAY_ADMIN_TOKEN: 's3cret',
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_SPOOL_DIR: join(tmp.dir, 'apart-spool'),
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'apart-dead.ndjson'),
      LOG_LEVEL: 'error',
    });
    const done = main(['events'], io);
    await until(() => gateway.gateway.events.subscribers > 0, 'the proxy to attach');
    const paths = await sendUserRequests(base, 3, 20);
    // The stream starts with what the ring already holds (earlier tests' requests): wait for these paths'.
    const delivered = () => {
      const seen = readNdjson(out) as Array<{ event_type: string; data: { path?: string } }>;
      return paths.every((p) => seen.filter((e) => e.data.path === p).length >= 2);
    };
    await until(delivered, 'the request and response events of each path in the file');
    expectRequestResponse(readNdjson(out), paths, backend.url);
    io.stop('SIGTERM');
    expect(await done).toBe(0);
    expect(io.err()).toBe('');
  });
});

describe('switchyard run with TARGET_TYPE', () => {
  it('runs the gateway and the event proxy in one process, settings from the environment', async () => {
    const out = join(tmp.dir, 'run.ndjson');
    const file = writeJson(join(tmp.dir, 'run.json'), gatewayConfig(backend.url));
    const io = testIO({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: out,
      EVENT_SPOOL_ENABLED: 'false',
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'run-dead.ndjson'),
      LOG_LEVEL: 'info',
    });
    const done = main(['run', '-c', file, '--admin-listen', '127.0.0.1:0'], io);
    let port = 0;
    await until(() => {
      const line = io
        .out()
        .split('\n')
        .find((l) => l.includes('"gateway listening"'));
      port = line ? (JSON.parse(line) as { port: number }).port : 0;
      return port > 0;
    }, 'the gateway to listen');
    const paths = await sendUserRequests(`http://127.0.0.1:${port}`, 2);
    io.stop('SIGTERM');
    expect(await done).toBe(0);
    // Stopping delivered the last requests' events before the proxy closed.
    expectRequestResponse(readNdjson(out), paths, backend.url);
  });

  it('with the disk spool: the proxy lines name their runtime, and each names its component once', async () => {
    const io = testIO({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: join(tmp.dir, 'run-spool.ndjson'),
      EVENT_SPOOL_DIR: join(tmp.dir, 'run-spool'),
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'run-spool-dead.ndjson'),
      LOG_LEVEL: 'info',
    });
    const file = writeJson(join(tmp.dir, 'run-spool.json'), gatewayConfig(backend.url));
    const done = main(['run', '-c', file, '--admin-listen', '127.0.0.1:0'], io);
    await until(() => io.out().includes('"gateway listening"'), 'the gateway to listen');
    io.stop('SIGTERM');
    expect(await done).toBe(0);
    const lines = io
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    // The spool logs through a child of the proxy's logger: before, its lines had "component" twice.
    const spool = lines.filter((l) => l.includes('"component":"spool"'));
    expect(spool.length).toBeGreaterThan(0);
    for (const line of spool) expect(line).toContain('"runtime":"event-proxy"');
    for (const line of lines) expect(line.split('"component":').length, line).toBeLessThanOrEqual(2);
  });
});

describe('switchyard run: ingest (issue 16, probe 2)', () => {
  const forged = {
    id: '01JFORGEDFORGEDFORGEDFORGE',
    event_type: 'response',
    timestamp: 1_700_000_000,
    kong_node_id: 'forged',
    data: {
      request_id: 'forged',
      method: 'GET',
      path: '/admin',
      endpoint: '/admin',
      status: 200,
      latency_ms: 1,
      bytes: 0,
      completed: true,
      backends: [],
    },
  };
  const postForged = async (url: string, authorization?: string) => {
    const res = await fetch(`${url}/events`, {
      method: 'POST',
      body: JSON.stringify(forged),
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
    });
    return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
  };

  async function run(name: string, env: Record<string, string>) {
    const out = join(tmp.dir, `${name}.ndjson`);
    const file = writeJson(join(tmp.dir, `${name}.json`), gatewayConfig(backend.url));
    const io = testIO({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: out,
      EVENT_SPOOL_ENABLED: 'false',
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, `${name}-dead.ndjson`),
      ...env,
    });
    const running = await startRun({ file, debug: false, port: 0, adminListen: '127.0.0.1:0' }, io, {
      host: '127.0.0.1',
      logger: silent(),
    });
    if (!running?.proxy) throw new Error('run did not start the event proxy');
    return { running, proxy: running.proxy, url: running.proxy.address?.url as string, out };
  }

  it('ingest is off by default: a forged response event is refused and never lands among the gateway events', async () => {
    const { running, proxy, url, out } = await run('run-ingest-off', {});
    try {
      expect(await postForged(url)).toEqual({ status: 404, code: 'SWY_INGEST_OFF' });
      const paths = await sendUserRequests(`http://127.0.0.1:${running.gateway.address?.port}`, 1);
      await until(() => readNdjson(out).length >= 2, 'the gateway events');
      await proxy.flush(10_000);
      expectRequestResponse(readNdjson(out), paths, backend.url);
      expect(readNdjson(out).map((e) => (e as Envelope).kong_node_id)).not.toContain('forged');
    } finally {
      await running.close();
    }
  });

  it('EVENT_PROXY_INGEST=on with EVENT_PROXY_TOKEN: only a producer with the token can post', async () => {
    const { running, proxy, url, out } = await run('run-ingest-token', {
      EVENT_PROXY_INGEST: 'on',
      EVENT_PROXY_TOKEN: 'run-token',
    });
    try {
      expect(await postForged(url)).toEqual({ status: 401, code: 'SWY_INGEST_UNAUTHORIZED' });
      expect((await postForged(url, 'Bearer run-token')).status).toBe(202);
      await proxy.flush(10_000);
      expect(readNdjson(out).map((e) => (e as Envelope).id)).toEqual([forged.id]);
    } finally {
      await running.close();
    }
  });
});

describe('switchyard demo', () => {
  it('starts backends, gateway and proxy, says what to curl; a curl through it lands in the events file', async () => {
    const eventsFile = join(tmp.dir, 'demo-events.ndjson');
    const io = testIO();
    const done = main(['demo', '-p', '0', '--admin-listen', '127.0.0.1:0', '--events', eventsFile], io);
    await until(() => io.out().includes('Ctrl-C stops.'), 'the demo to start', 15_000);
    const url = /curl (http:\/\/127\.0\.0\.1:\d+)\/users\/1/.exec(io.out())?.[1] as string;
    expect(url).toBeDefined();
    const res = await get(url, '/users/1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      id: 1,
      name: 'Ada Lovelace',
      contact: 'ada@example.com',
      address: { city: 'London' },
    });
    await until(() => readNdjson(eventsFile).length >= 2, 'the request and response events');
    const events = readNdjson(eventsFile) as Envelope[];
    expect(events.map((e) => e.event_type)).toEqual(['request', 'response']);
    expect((events[1] as Envelope).data).toMatchObject({ path: '/users/1', status: 200, completed: true });
    expect(((events[1] as Envelope).data as { backends: unknown[] }).backends).toHaveLength(3);
    io.stop('SIGINT');
    expect(await done).toBe(0);
    expect(io.out()).toContain(`Stopped. The events are in ${eventsFile}`);
  });
});
