import { Readable } from 'node:stream';
import { createEventProxy, type EventProxy, type Sink } from '@switchyard/event-proxy';
import { createLogger, type Envelope } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileProxy } from './support/file-proxy.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('ingest');
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
});
afterAll(() => tmp.cleanup());

async function post(url: string, body: string | Buffer, contentType = 'application/json') {
  const res = await request(`${url}/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

async function start(name: string, extra = {}) {
  const p = await fileProxy(tmp.dir, name, extra);
  proxy = p.proxy;
  return p;
}

describe('POST /events', () => {
  it('accepts one envelope, a JSON array and NDJSON (by content type or detected), answering 202', async () => {
    const { url, delivered } = await start('forms');
    const [one, ...rest] = sampleEvents(9);
    const array = rest.slice(0, 4);
    const nd = rest.slice(4);
    const ndText = `${nd.map((e) => JSON.stringify(e)).join('\n')}\n`;
    expect(await post(url, JSON.stringify(one))).toMatchObject({
      status: 202,
      json: { accepted: 1, queued: 1 },
    });
    expect(await post(url, JSON.stringify(array))).toMatchObject({ status: 202, json: { accepted: 4 } });
    expect(await post(url, ndText.slice(0, ndText.indexOf('\n') + 1), 'application/x-ndjson')).toMatchObject({
      status: 202,
      json: { accepted: 1 },
    });
    // No NDJSON content type: detected because the body is not one JSON value but its first line is.
    const restNd = nd
      .slice(1)
      .map((e) => JSON.stringify(e))
      .join('\n');
    expect(await post(url, restNd, 'text/plain')).toMatchObject({ status: 202, json: { accepted: 3 } });
    await proxy?.flush(10_000);
    expect(delivered()).toEqual([one, ...array, ...nd]);
  });

  it('a mixed array: 400 listing each bad item, while the valid items are delivered', async () => {
    const { url, delivered } = await start('mixed');
    const good = sampleEvents(3);
    const body = [
      good[0],
      { ...good[1], timestamp: 1_726_783_839_538 },
      good[1],
      'not an object',
      { ...good[2], id: 'evt-bad', event_type: 'request_made' },
      good[2],
    ];
    const res = await post(url, JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'SWY_INVALID_EVENT' }, accepted: 3, queued: 3 });
    expect(res.json.problems).toEqual([
      {
        index: 1,
        id: good[1]?.id,
        pointer: '/timestamp',
        reason: 'must be Unix seconds (this looks like milliseconds)',
      },
      { index: 3, pointer: '', reason: 'must be a JSON object' },
      {
        index: 4,
        id: 'evt-bad',
        pointer: '/event_type',
        reason: 'must be one of request, response, plugin_updated, node_health (got "request_made")',
      },
    ]);
    await proxy?.flush(10_000);
    expect(delivered()).toEqual(good);
  });

  it('NDJSON lines of NBSP, BOM or U+2028 are items (invalid), not blank: accepted counts only the valid ones', async () => {
    const { url, delivered } = await start('nd-unicode-space');
    const good = sampleEvents(2);
    const text = [
      JSON.stringify(good[0]),
      '\u00a0',
      ' \t\r',
      '\ufeff',
      `\u2028${JSON.stringify(good[1])}`,
      JSON.stringify(good[1]),
    ].join('\n');
    const res = await post(url, text, 'application/x-ndjson');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ accepted: 2, invalid: 3 });
    expect(res.json.problems.map((p: { line: number }) => p.line)).toEqual([2, 4, 5]);
    await proxy?.flush(10_000);
    expect(delivered()).toEqual(good);
  });

  it('NDJSON with a line that is not JSON: 400 naming the line, the other lines delivered', async () => {
    const { url, delivered } = await start('nd-bad');
    const good = sampleEvents(3);
    const text = [
      JSON.stringify(good[0]),
      '{"id": "x", oops',
      '',
      JSON.stringify(good[1]),
      JSON.stringify(good[2]),
    ].join('\n');
    const res = await post(url, text, 'application/x-ndjson');
    expect(res.status).toBe(400);
    expect(res.json.accepted).toBe(3);
    expect(res.json.problems).toHaveLength(1);
    expect(res.json.problems[0]).toMatchObject({ index: 1, line: 2, pointer: '' });
    expect(res.json.problems[0].reason).toMatch(/^not valid JSON/);
    await proxy?.flush(10_000);
    expect(delivered()).toEqual(good);
  });

  it('a body that is not JSON at all, or empty: 400 SWY_PAYLOAD_INVALID, nothing taken', async () => {
    const { url } = await start('bad-json');
    const broken = await post(url, '{"id": "01J", "event_type": ');
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('SWY_PAYLOAD_INVALID');
    expect(broken.json.error.message).toContain('not JSON, a JSON array or NDJSON');
    const empty = await post(url, '  \n');
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toBe('the request body is empty');
    const metric = await proxy?.metrics.registry.getSingleMetric('switchyard_events_received_total')?.get();
    expect(metric?.values ?? []).toEqual([]);
  });

  it('a body over ingest.max_body_bytes: 413, nothing taken', async () => {
    const { url, delivered } = await start('oversize', { ingest: { max_body_bytes: 4096 } });
    const big = JSON.stringify(sampleEvents(40));
    expect(Buffer.byteLength(big)).toBeGreaterThan(4096);
    const res = await post(url, big);
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'SWY_PAYLOAD_TOO_LARGE', max_body_bytes: 4096 });
    // Just under the bound is fine.
    const small = JSON.stringify(sampleEvents(2));
    expect((await post(url, small)).status).toBe(202);
    await proxy?.flush(10_000);
    expect(delivered()).toHaveLength(2);
  });

  it('a chunked body growing past the bound: 413 while reading', async () => {
    const { url } = await start('oversize-chunked', { ingest: { max_body_bytes: 2048 } });
    const chunks = Readable.from(
      (function* () {
        for (let i = 0; i < 8; i++) yield Buffer.from(JSON.stringify(sampleEvents(2)));
      })(),
    );
    const res = await request(`${url}/events`, { method: 'POST', body: chunks }).catch((e: unknown) => e);
    // The server answers 413 and closes; depending on timing the client sees the answer or the reset.
    if (res instanceof Error)
      expect((res as { code?: string }).code).toMatch(/UND_ERR_SOCKET|ECONNRESET|EPIPE/);
    else expect((res as { statusCode: number }).statusCode).toBe(413);
  });

  it('under the block policy a full queue answers 503 with Retry-After, and takes events again once drained', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const delivered: Envelope[] = [];
    const sink: Sink = {
      name: 'gated',
      start: async () => {},
      send: async (batch) => {
        await gate;
        delivered.push(...batch);
        return { rejected: [] };
      },
      ready: () => true,
      close: async () => {},
    };
    const settings = proxySettings(tmp.dir, {
      target: { type: 'http', http: { url: 'http://127.0.0.1:9' } as never },
      spool: { enabled: false, memory_max_events: 5, full_policy: 'block' },
    });
    proxy = createEventProxy(settings, { sink, logger: createLogger({ level: 'silent' }) });
    await proxy.start();
    const url = proxy.address?.url as string;
    const a = sampleEvents(5, 'a');
    expect((await post(url, JSON.stringify(a))).status).toBe(202);
    const refused = await post(url, JSON.stringify(sampleEvents(2, 'b')));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json.error.code).toBe('SWY_QUEUE_FULL');
    const ready = await request(`${url}/readyz`);
    expect(ready.statusCode).toBe(503);
    await ready.body.dump();
    release();
    await proxy.flush(10_000);
    const c = sampleEvents(2, 'c');
    expect((await post(url, JSON.stringify(c))).status).toBe(202);
    await proxy.flush(10_000);
    expect(delivered).toEqual([...a, ...c]);
  });

  it('answers 404 for unknown paths and 405 with Allow for a wrong method', async () => {
    const { url } = await start('routes');
    const missing = await request(`${url}/nope`);
    expect(missing.statusCode).toBe(404);
    expect((await missing.body.json()) as unknown).toMatchObject({ error: { code: 'SWY_ROUTE_NOT_FOUND' } });
    const wrong = await request(`${url}/events`);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    await wrong.body.dump();
  });
});
