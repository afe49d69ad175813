import { readFileSync } from 'node:fs';
import type { EventProxy } from '@switchyard/event-proxy';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { endlessPost } from '../../shared/test/support/endless-post.js';
import { MAX_ITEM_DEPTH } from '../src/sources/body-items.js';
import { fileProxy } from './support/file-proxy.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

// An attacker's pass over POST /events: an event nested 100,000 deep was answered 202 `queued: 0` and
// went to the dead-letter file without its data (JSON.stringify overflowed the stack), after a 2–3 s
// stall; invalid UTF-8 was taken with its bytes silently replaced by U+FFFD.

const tmp = tempDir('ingest-hostile');
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
  return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
}

/** A valid envelope with `extra` (raw JSON text) added to its data. */
function withExtra(extra: string): string {
  const text = JSON.stringify(sampleEvents(1)[0]);
  return text.replace('"data":{', `"data":{"extra":${extra},`);
}

describe('ingest: hostile bodies', () => {
  it('an event nested 100,000 deep: 400 SWY_PAYLOAD_INVALID at once, nothing taken or dead-lettered', async () => {
    const p = await fileProxy(tmp.dir, 'deep');
    proxy = p.proxy;
    const depth = 100_000;
    const deep = withExtra(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    for (const body of [deep, `[${deep}]`]) {
      const res = await post(p.url, body);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'SWY_PAYLOAD_INVALID', max_depth: MAX_ITEM_DEPTH });
      expect(res.json.error.message).toContain(`deeper than ${MAX_ITEM_DEPTH} levels`);
    }
    await p.proxy.flush(5000);
    expect(p.delivered()).toEqual([]);
  });

  it('NDJSON: a deep line and an invalid UTF-8 line are listed problems, the valid line is delivered', async () => {
    const p = await fileProxy(tmp.dir, 'ndjson');
    proxy = p.proxy;
    const [good] = sampleEvents(1);
    const badBytes = Buffer.from(withExtra('"AB"'));
    badBytes[badBytes.indexOf('AB')] = 0xff;
    const body = Buffer.concat([
      Buffer.from(`${withExtra(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`)}\n`),
      badBytes,
      Buffer.from(`\n${JSON.stringify(good)}\n`),
    ]);
    const res = await post(p.url, body, 'application/x-ndjson');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ accepted: 1, queued: 1, invalid: 2 });
    expect(res.json.problems).toEqual([
      expect.objectContaining({ line: 1, reason: expect.stringContaining(`deeper than ${MAX_ITEM_DEPTH}`) }),
      expect.objectContaining({ line: 2, reason: expect.stringContaining('not valid UTF-8') }),
    ]);
    await p.proxy.flush(5000);
    expect(p.delivered()).toEqual([good]);
  });

  it('a JSON body with invalid UTF-8: 400 SWY_PAYLOAD_INVALID, nothing taken; nesting within the bound is taken', async () => {
    const p = await fileProxy(tmp.dir, 'utf8');
    proxy = p.proxy;
    const bytes = Buffer.from(withExtra('"AB"'));
    bytes[bytes.indexOf('AB')] = 0xc0;
    const res = await post(p.url, bytes);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('SWY_PAYLOAD_INVALID');
    expect(res.json.error.message).toContain('not valid UTF-8');
    expect(res.json.error.max_depth).toBeUndefined();
    // Depth counts from the envelope: its data and `extra` are two levels, so this item is at the bound.
    const n = MAX_ITEM_DEPTH - 2;
    const atBound = withExtra(`${'['.repeat(n)}${']'.repeat(n)}`);
    const ok = await post(p.url, `[${atBound}]`);
    expect(ok.status).toBe(202);
    expect(ok.json).toMatchObject({ accepted: 1, queued: 1 });
  });
});

describe('listener: an endless request body answered before it was read', () => {
  it('a 404 closes the connection instead of reading the body on', async () => {
    const p = await fileProxy(tmp.dir, 'endless');
    proxy = p.proxy;
    const { port } = new URL(p.url);
    const result = await endlessPost(Number(port), '/nowhere');
    expect(result.status).toBe('HTTP/1.1 404 Not Found');
    expect(result.sent).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('Kong http-log: secrets', () => {
  // Kong logs the client's query and the upstream URI as sent: `?jwt=` and `?api_key=` reached the sink.
  it('secret query values are redacted in query, upstream_uri and backends[].url', async () => {
    const p = await fileProxy(tmp.dir, 'kong-secrets');
    proxy = p.proxy;
    const entry = JSON.parse(
      readFileSync(new URL('./fixtures/kong/http-log-entry.json', import.meta.url), 'utf8'),
    );
    entry.request.querystring = { jwt: 'client-jwt', page: '2' };
    entry.upstream_uri = '/x?api_key=upstream-key&page=2';
    const res = await request(`${p.url}/kong/http-log`, {
      method: 'POST',
      body: JSON.stringify(entry),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    await p.proxy.flush(5000);
    const text = JSON.stringify(p.delivered());
    expect(text).toContain('"page":"2"');
    expect(text).toContain('api_key=[REDACTED]');
    expect(text).not.toMatch(/client-jwt|upstream-key/);
  });
});
