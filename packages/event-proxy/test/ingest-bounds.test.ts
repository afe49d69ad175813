import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { EventProxy } from '@switchyard/event-proxy';
import { MAX_PROBLEMS_PER_ITEM } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_LISTED_PROBLEMS } from '../src/sources/validate.js';
import { fileProxy } from './support/file-proxy.js';
import { type ProxyProcess, spawnProxy } from './support/proxy-process.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

// Issue 16, probe 1: one POST of 1,000,000 NDJSON lines of `{}` (3 MB) stalled the proxy for seconds,
// answered 376 MB of problems and took 2.3 GB; 10 MB of such lines ended in a 500 after 4 GB.

const tmp = tempDir('ingest-bounds');
const processes: ProxyProcess[] = [];
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
});
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  tmp.cleanup();
});

const MiB = 1024 * 1024;
// What the answer may take at most: every listed problem is clipped (id, pointer, reason).
const ANSWER_BOUND = 128 * 1024;

function memoryBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
}

async function startChild(name: string, env: Record<string, string> = {}): Promise<ProxyProcess> {
  const p = await spawnProxy({
    TARGET_TYPE: 'file',
    TARGET_FILE_PATH: join(tmp.dir, `${name}.ndjson`),
    EVENT_PROXY_LISTEN: '127.0.0.1:0',
    EVENT_SPOOL_DIR: join(tmp.dir, `${name}-spool`),
    EVENT_DEAD_LETTER_PATH: join(tmp.dir, `${name}-dead.ndjson`),
    ...env,
  });
  processes.push(p);
  return p;
}

/**
 * Posts `body` as NDJSON while asking /healthz back to back; counts the /healthz answers that came after
 * the whole body was handed to the socket and before the POST's answer did (while the proxy worked on it).
 */
async function postWatchingHealth(url: string, body: Buffer) {
  let bodySent = false;
  let answered = false;
  let healthWhileWorking = 0;
  const stream = Readable.from([body]).on('end', () => {
    bodySent = true;
  });
  const health = (async () => {
    while (!answered) {
      const res = await request(`${url}/healthz`);
      await res.body.dump();
      if (bodySent && !answered && res.statusCode === 200) healthWhileWorking++;
    }
  })();
  const res = await request(`${url}/events`, {
    method: 'POST',
    body: stream,
    headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
  });
  answered = true;
  const text = await res.body.text();
  await health;
  return {
    status: res.statusCode,
    bytes: Buffer.byteLength(text),
    json: JSON.parse(text),
    healthWhileWorking,
  };
}

describe('ingest bounds (issue 16, probe 1)', () => {
  it('1,000,000 NDJSON lines of {}: a bounded 400, /healthz served meanwhile, memory bounded', async () => {
    // The item bound raised past the probe, so every line is parsed and checked.
    const p = await startChild('million', { EVENT_INGEST_MAX_ITEMS: '2000000' });
    const body = Buffer.from('{}\n'.repeat(1_000_000));
    const rssBefore = memoryBytes(p.child.pid as number, 'VmRSS');
    const res = await postWatchingHealth(p.url, body);
    const growth = memoryBytes(p.child.pid as number, 'VmHWM') - rssBefore;
    process.stdout.write(
      `[probe] 1M lines of {}: ${res.status}, answer ${res.bytes} bytes, /healthz answered ${res.healthWhileWorking} times while working, peak RSS growth ${(growth / MiB).toFixed(0)} MiB\n`,
    );
    expect(res.status).toBe(400);
    expect(res.bytes).toBeLessThan(ANSWER_BOUND);
    expect(res.json).toMatchObject({ accepted: 0, invalid: 1_000_000, queued: 0 });
    expect(res.json.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    // `{}` misses each of the envelope's required fields: every problem is counted, the first are listed.
    expect(res.json.problems_total % 1_000_000).toBe(0);
    expect(res.json.problems_total).toBeGreaterThan(1_000_000);
    expect(res.json.error.message).toContain(
      `the first ${MAX_LISTED_PROBLEMS} of ${res.json.problems_total}`,
    );
    expect(res.json.problems[0]).toMatchObject({ index: 0, line: 1 });
    expect(res.healthWhileWorking).toBeGreaterThan(0);
    expect(growth).toBeLessThan(300 * MiB);
    // Parsing and checking 1M items takes seconds, more on a loaded machine: the bound is on memory and
    // the answer, not on time.
  }, 180_000);

  it('10 MB of such lines with the default item bound: 413 at once, nothing parsed, memory bounded', async () => {
    const p = await startChild('ten-mb');
    const body = Buffer.from('{}\n'.repeat(Math.floor((10 * 1_000_000) / 3)));
    const rssBefore = memoryBytes(p.child.pid as number, 'VmRSS');
    const res = await postWatchingHealth(p.url, body);
    const growth = memoryBytes(p.child.pid as number, 'VmHWM') - rssBefore;
    process.stdout.write(
      `[probe] 10 MB of {} lines: ${res.status}, answer ${res.bytes} bytes, peak RSS growth ${(growth / MiB).toFixed(0)} MiB\n`,
    );
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'SWY_INGEST_TOO_MANY_ITEMS', max_items: 10_000 });
    expect(res.bytes).toBeLessThan(1024);
    expect(growth).toBeLessThan(150 * MiB);
  });
});

// Review of issue 16: one 0.9 MB event whose data.backends holds 300k `{}` gave 1.2M problems (every error
// collected), a 2.8 s stall and 386 MB of heap per item.
describe('ingest bounds: large bad items', () => {
  it('8 events of 300k bad backends each: a bounded 400, /healthz served meanwhile, memory bounded', async () => {
    const p = await startChild('backends');
    const sample = sampleEvents(2)[1];
    const line = JSON.stringify({
      ...sample,
      data: { ...sample?.data, backends: Array.from({ length: 300_000 }, () => ({})) },
    });
    const body = Buffer.from(`${line}\n`.repeat(8));
    const rssBefore = memoryBytes(p.child.pid as number, 'VmRSS');
    const res = await postWatchingHealth(p.url, body);
    const growth = memoryBytes(p.child.pid as number, 'VmHWM') - rssBefore;
    process.stdout.write(
      `[probe] 8 × 300k bad backends (${(body.length / MiB).toFixed(1)} MiB): ${res.status}, answer ${res.bytes} bytes, /healthz answered ${res.healthWhileWorking} times while working, peak RSS growth ${(growth / MiB).toFixed(0)} MiB\n`,
    );
    expect(res.status).toBe(400);
    expect(res.bytes).toBeLessThan(ANSWER_BOUND);
    expect(res.json).toMatchObject({ accepted: 0, invalid: 8 });
    expect(res.json.problems_total).toBeLessThanOrEqual(8 * (MAX_PROBLEMS_PER_ITEM + 1));
    expect(res.json.problems[0]).toMatchObject({ index: 0, line: 1, pointer: '/data/backends/0/url' });
    expect(res.healthWhileWorking).toBeGreaterThan(0);
    // Before: 2.3 GB; after: about 160 MB (the body, its parsed items, the heap's slack).
    expect(growth).toBeLessThan(400 * MiB);
  }, 120_000);
});

describe('ingest bounds, in process', () => {
  async function post(url: string, path: string, body: string, headers: Record<string, string> = {}) {
    const res = await request(`${url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
  }

  it('valid events among many bad items are delivered; the 400 lists the first problems and counts all', async () => {
    const p = await fileProxy(tmp.dir, 'mixed');
    proxy = p.proxy;
    const good = sampleEvents(5);
    const items: unknown[] = [];
    for (let i = 0; i < 500; i++) items.push(i % 100 === 50 ? good[(i - 50) / 100] : { id: `bad-${i}` });
    const res = await post(p.url, '/events', JSON.stringify(items));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ accepted: 5, queued: 5, invalid: 495 });
    expect(res.json.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(res.json.problems_total).toBeGreaterThan(495);
    expect(res.json.problems[0]).toMatchObject({ index: 0, id: 'bad-0' });
    await proxy.flush(10_000);
    expect(p.delivered()).toEqual(good);
  });

  it('more items than ingest.max_items: 413 SWY_INGEST_TOO_MANY_ITEMS, nothing taken (array, NDJSON, Kong)', async () => {
    const p = await fileProxy(tmp.dir, 'cap', { ingest: { max_items: 3 } as never });
    proxy = p.proxy;
    const four = sampleEvents(4);
    const array = await post(p.url, '/events', JSON.stringify(four));
    expect(array.status).toBe(413);
    expect(array.json.error).toMatchObject({ code: 'SWY_INGEST_TOO_MANY_ITEMS', max_items: 3 });
    const nd = four.map((e) => JSON.stringify(e)).join('\n');
    expect((await post(p.url, '/events', nd, { 'content-type': 'application/x-ndjson' })).status).toBe(413);
    // Detected as NDJSON (no content type saying so): counted the same way.
    expect((await post(p.url, '/events', nd, { 'content-type': 'text/plain' })).status).toBe(413);
    expect((await post(p.url, '/kong/http-log', JSON.stringify([{}, {}, {}, {}]))).status).toBe(413);
    // Commas inside strings and nested values are not items.
    const three = sampleEvents(3).map((e, i) => ({
      ...e,
      data: { ...e.data, note: `a, b, [c], {d}, "${i}"` },
    }));
    expect((await post(p.url, '/events', JSON.stringify(three))).status).toBe(202);
    await proxy.flush(10_000);
    expect(p.delivered()).toHaveLength(3);
  });

  it('an item with a huge id and key names: each listed problem stays small', async () => {
    const p = await fileProxy(tmp.dir, 'clip');
    proxy = p.proxy;
    const long = 'x'.repeat(200_000);
    const res = await post(p.url, '/events', JSON.stringify({ id: long, [long]: 1 }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json).length).toBeLessThan(ANSWER_BOUND);
    for (const problem of res.json.problems) {
      expect(JSON.stringify(problem).length).toBeLessThan(1024);
    }
  });
});
