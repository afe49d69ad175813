import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type ProxyProcess, spawnProxy } from './support/proxy-process.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

// Review of issue 16: the image ran with a 96 MB heap and a 10 MiB body bound, with nothing bounding the
// ingest bytes of concurrent requests: a few producers posting at once could exhaust the heap.

const tmp = tempDir('ingest-in-flight');
const processes: ProxyProcess[] = [];
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  tmp.cleanup();
});

const MiB = 1024 * 1024;
const BUDGET = 32 * MiB;
// The heap the container image gives the proxy: the test runs it with the same flag.
const imageEnv = /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(
  readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'),
);
const IMAGE_NODE_OPTIONS = imageEnv?.[1] ?? imageEnv?.[2];

async function inFlightBytes(url: string): Promise<number> {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  return Number(/^switchyard_ingest_in_flight_bytes (\d+)/m.exec(text)?.[1]);
}

/** A POST whose body is sent only up to half until `finish()`: it holds its bytes of the budget meanwhile. */
function heldPost(url: string, body: Buffer, contentType = 'application/x-ndjson') {
  const req = httpRequest(`${url}/events`, {
    method: 'POST',
    // A connection of its own: a pooled one the proxy closed as idle would fail the request.
    agent: false,
    headers: { 'content-type': contentType, 'content-length': String(body.length) },
  });
  const answer = new Promise<{ status: number | undefined; json: unknown }>((resolve, reject) => {
    req.on('error', reject).on('response', async (res) => {
      let text = '';
      for await (const chunk of res) text += chunk;
      resolve({ status: res.statusCode, json: JSON.parse(text) });
    });
  });
  req.write(body.subarray(0, body.length >> 1));
  return {
    answer,
    finish: () => req.end(body.subarray(body.length >> 1)),
    abort: () => req.destroy(),
  };
}

async function waitForInFlight(url: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const seen = await inFlightBytes(url);
    if (seen === bytes) return;
    if (Date.now() > deadline) throw new Error(`in-flight bytes ${seen}, expected ${bytes}`);
  }
}

describe('ingest in-flight byte budget', () => {
  it('concurrent posts beyond EVENT_INGEST_MAX_IN_FLIGHT_BYTES: 503 SWY_INGEST_BUSY, the others taken, no OOM', async () => {
    expect(IMAGE_NODE_OPTIONS).toBeDefined();
    const p = await spawnProxy({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: join(tmp.dir, 'out.ndjson'),
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_SPOOL_DIR: join(tmp.dir, 'spool'),
      EVENT_DEAD_LETTER_PATH: join(tmp.dir, 'dead.ndjson'),
      NODE_OPTIONS: IMAGE_NODE_OPTIONS ?? '',
    });
    processes.push(p);
    const events = sampleEvents(9000);
    const body = Buffer.from(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const fit = Math.floor(BUDGET / body.length);
    expect(fit).toBeGreaterThan(1);

    const held = Array.from({ length: fit }, () => heldPost(p.url, body));
    await waitForInFlight(p.url, fit * body.length);

    const busy = await request(`${p.url}/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(JSON.parse(await busy.body.text()).error.code).toBe('SWY_INGEST_BUSY');

    // Every held request is read, parsed and taken at once: the image's heap holds them.
    for (const h of held) h.finish();
    const answers = await Promise.all(held.map((h) => h.answer));
    for (const a of answers) expect(a).toMatchObject({ status: 202, json: { accepted: 9000 } });
    await waitForInFlight(p.url, 0);

    // A producer that hangs up mid-body gives its bytes back.
    const gone = heldPost(p.url, body);
    await waitForInFlight(p.url, body.length);
    gone.abort();
    await gone.answer.catch(() => undefined);
    await waitForInFlight(p.url, 0);
    const again = await request(`${p.url}/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(again.statusCode).toBe(202);
    await again.body.dump();
    expect(p.child.exitCode).toBeNull();

    // The costliest body for its size: a JSON array (parsed whole) of items made of empty objects, about
    // 1.4M objects per 4 MiB. As many as the budget lets in are parsed at once, within the image's heap.
    const item = JSON.stringify({ id: 'bad', b: Array.from({ length: 150 }, () => ({})) });
    const costly = Buffer.from(`[${Array.from({ length: 9000 }, () => item).join(',')}]`);
    const costlyHeld = Array.from({ length: Math.floor(BUDGET / costly.length) }, () =>
      heldPost(p.url, costly, 'application/json'),
    );
    await waitForInFlight(p.url, costlyHeld.length * costly.length);
    for (const h of costlyHeld) h.finish();
    for (const a of await Promise.all(costlyHeld.map((h) => h.answer))) {
      expect(a).toMatchObject({ status: 400, json: { invalid: 9000 } });
    }
    expect(p.child.exitCode).toBeNull();
  }, 120_000);
});
