import { readFileSync } from 'node:fs';
import { type EventProxy, mapKongLogEntry } from '@switchyard/event-proxy';
import { isEnvelope } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileProxy } from './support/file-proxy.js';
import { tempDir } from './support/proxy-settings.js';

// A Kong 3.8 http-log entry shaped as Kong's documented sample (developer.konghq.com/plugins/http-log),
// with an authorization header, a cookie and a query string added.
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/kong/http-log-entry.json', import.meta.url), 'utf8'),
);
const clone = () => structuredClone(fixture);

const tmp = tempDir('kong');
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
});
afterAll(() => tmp.cleanup());

interface IngestAnswer {
  accepted: number;
  events: number;
  problems?: unknown[];
  error?: { code: string };
}
interface Delivered {
  id: string;
  event_type: string;
  data: { request_id: string; status?: number };
}

async function postKong(url: string, body: unknown) {
  const res = await request(`${url}/kong/http-log`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.statusCode, json: (await res.body.json()) as IngestAnswer };
}

const expectedRequest = {
  event_type: 'request',
  timestamp: 1726783839,
  kong_node_id: '',
  data: {
    request_id: '2f6946328ffc4946b8c9120704a4a155',
    method: 'GET',
    path: '/example-route',
    endpoint: '/example-route',
    query: { page: '2', tag: ['a', 'b'], debug: '' },
    client_ip: '192.168.65.1',
    headers: {
      accept: '*/*',
      'user-agent': 'HTTPie/3.2.3',
      host: 'localhost:8000',
      connection: 'keep-alive',
      'accept-encoding': 'gzip, deflate',
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
    },
    body_bytes: 139,
    service: 'example_service',
    route: 'example_route',
    source: 'kong',
  },
};

const expectedResponse = {
  event_type: 'response',
  timestamp: 1726783839,
  kong_node_id: '',
  data: {
    request_id: '2f6946328ffc4946b8c9120704a4a155',
    method: 'GET',
    path: '/example-route',
    endpoint: '/example-route',
    status: 200,
    latency_ms: 173,
    bytes: 9982,
    completed: true,
    backends: [
      {
        url: 'http://34.237.204.224:80/anything?page=2&tag=a&tag=b&debug',
        method: 'GET',
        status: 200,
        latency_ms: 171,
      },
    ],
    latencies: { request: 173, kong: 1, proxy: 171 },
    upstream_uri: '/anything?page=2&tag=a&tag=b&debug',
    service: 'example_service',
    route: 'example_route',
    source: 'kong',
  },
};

describe('POST /kong/http-log', () => {
  it('turns one Kong entry into a request and a response envelope, field by field', async () => {
    const p = await fileProxy(tmp.dir, 'one');
    proxy = p.proxy;
    const res = await postKong(p.url, fixture);
    expect(res).toMatchObject({ status: 202, json: { accepted: 1, events: 2, queued: 2 } });
    await proxy.flush(10_000);
    const [req, resp, ...more] = p.delivered() as Delivered[];
    expect(more).toEqual([]);
    expect(req).toEqual({ id: expect.any(String), ...expectedRequest });
    expect(resp).toEqual({ id: expect.any(String), ...expectedResponse });
    expect(req?.id).not.toBe(resp?.id);
    expect(isEnvelope(req) && isEnvelope(resp)).toBe(true);
  });

  it('takes a batched array (max_batch_size > 1); a bad entry gets a 400 while the others are delivered', async () => {
    const p = await fileProxy(tmp.dir, 'batch');
    proxy = p.proxy;
    const second = clone();
    second.request.id = 'req-2';
    second.response.status = 404;
    const bad = clone();
    bad.request.id = 'req-bad';
    delete bad.request.method;
    bad.response.status = 'OK';
    const res = await postKong(p.url, [fixture, bad, second]);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ accepted: 2, events: 4 });
    expect(res.json.problems).toEqual([
      { index: 1, id: 'req-bad', pointer: '/request/method', reason: 'is required' },
      { index: 1, id: 'req-bad', pointer: '/response/status', reason: 'must be integer' },
    ]);
    await proxy.flush(10_000);
    const delivered = p.delivered() as Delivered[];
    expect(delivered.map((e) => [e.event_type, e.data.request_id, e.data.status])).toEqual([
      ['request', '2f6946328ffc4946b8c9120704a4a155', undefined],
      ['response', '2f6946328ffc4946b8c9120704a4a155', 200],
      ['request', 'req-2', undefined],
      ['response', 'req-2', 404],
    ]);
  });

  it('a body that is not JSON: 400', async () => {
    const p = await fileProxy(tmp.dir, 'bad-json');
    proxy = p.proxy;
    const res = await request(`${p.url}/kong/http-log`, { method: 'POST', body: '{"request": ' });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as IngestAnswer).error?.code).toBe('SWY_PAYLOAD_INVALID');
  });
});

describe('Kong http-log mapping', () => {
  it('older Kong (no request.id, sizes as strings): request id from X-Kong-Request-Id, node id from the entry', () => {
    const entry = clone();
    delete entry.request.id;
    entry.request.headers['x-kong-request-id'] = 'from-header';
    entry.request.size = '75';
    entry.response.size = '434';
    entry.kong_node_id = 'c3f0e1b2-node';
    const [req, res] = mapKongLogEntry(entry, { nodeId: 'fallback' });
    expect(req.data.request_id).toBe('from-header');
    expect(res.data.request_id).toBe('from-header');
    expect(req.data.body_bytes).toBe(75);
    expect(res.data.bytes).toBe(434);
    expect(req.kong_node_id).toBe('c3f0e1b2-node');
  });

  it('generates a request id when Kong gives none, shared by both events', () => {
    const entry = clone();
    delete entry.request.id;
    delete entry.response.headers['x-kong-request-id'];
    const [req, res] = mapKongLogEntry(entry, { nodeId: 'n1', newId: () => 'generated-1' });
    expect(req.data.request_id).toBe('generated-1');
    expect(res.data.request_id).toBe('generated-1');
    expect(req.kong_node_id).toBe('n1');
  });

  it('a balancer retry gives one backend per try, with the statuses of $upstream_status', () => {
    const entry = clone();
    entry.tries = [
      { ip: '10.0.0.1', port: 8080, balancer_latency: 0, state: 'failed', code: 502 },
      { ip: '10.0.0.2', port: 8080, balancer_latency: 1 },
    ];
    entry.upstream_status = '502, 200';
    const [, res] = mapKongLogEntry(entry, { nodeId: '' });
    expect(res.data.backends).toEqual([
      {
        url: 'http://10.0.0.1:8080/anything?page=2&tag=a&tag=b&debug',
        method: 'GET',
        status: 502,
        latency_ms: 0,
        error: 'failed (502)',
      },
      {
        url: 'http://10.0.0.2:8080/anything?page=2&tag=a&tag=b&debug',
        method: 'GET',
        status: 200,
        latency_ms: 171,
      },
    ]);
    expect(res.data.completed).toBe(true);
  });

  it('a response Kong made itself (e.g. 401 from an auth plugin) has no backends and is complete', () => {
    const entry = clone();
    delete entry.tries;
    delete entry.upstream_status;
    entry.latencies = { kong: 2, proxy: -1, request: 2 };
    entry.response.status = 401;
    const [, res] = mapKongLogEntry(entry, { nodeId: '' });
    expect(res.data).toMatchObject({ status: 401, backends: [], completed: true, latency_ms: 2 });
    expect((res.data as { latencies?: unknown }).latencies).toEqual({ request: 2, kong: 2, proxy: null });
  });

  it('an upstream that never answered (proxy latency -1 after tries) is not complete', () => {
    const entry = clone();
    entry.latencies = { kong: 1, proxy: -1, request: 60_001 };
    entry.response.status = 504;
    entry.tries = [{ ip: '10.0.0.1', port: 80, state: 'failed', code: 504 }];
    delete entry.upstream_status;
    const [, res] = mapKongLogEntry(entry, { nodeId: '' });
    expect(res.data.completed).toBe(false);
    expect(res.timestamp).toBe(Math.floor((entry.started_at + 60_001) / 1000));
  });
});
