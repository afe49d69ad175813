import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { COMMIT_BYTE, createHandoffBuffer, KIND, READ, WRITE } from '../src/events/handoff/layout.js';
import { HandoffReader } from '../src/events/handoff/reader.js';
import { type RequestFacts, readRecord, writeRequest } from '../src/events/handoff/records.js';
import { HandoffWriter } from '../src/events/handoff/writer.js';

// The hand-off under its real conditions: positions that wrap around 2^32, and a writer on another thread
// racing the reader. Every record written arrives once, in order, or is counted as dropped exactly where
// it was dropped.

const facts = (i: number): RequestFacts => ({
  request_id: String(i),
  method: 'GET',
  path: `/users/${i}`,
  endpoint: '/users/{id}',
  query: '',
  client_ip: '127.0.0.1',
  headers: { accept: '*/*', 'x-n': 'n'.repeat(i % 300) },
  body_bytes: 0,
});

/** Reads what is there; returns the ids read and checks each record's hole against the ids skipped. */
function readAll(reader: HandoffReader, expectNext: { id: number }): number {
  let n = 0;
  for (let rec = reader.next(); rec; rec = reader.next()) {
    const r = readRecord(rec.bytes);
    if (r.kind !== KIND.request) throw new Error(`unexpected kind ${r.kind}`);
    const id = Number(r.req.request_id);
    // The records the writer dropped just before this one are exactly the ids skipped.
    expect(id - expectNext.id).toBe(rec.lostBefore);
    expectNext.id = id + 1;
    n++;
  }
  return n;
}

// A 64 KiB ring is never written in place (the largest record would not fit whole); a 1 MiB one mostly
// is, and through the scratch buffer near its end or when nearly full.
const RINGS = [
  { size: 65_536, lag: 397 },
  { size: 1 << 20, lag: 3971 },
];

describe.each(RINGS)('the hand-off across the 32-bit wrap, a ring of $size bytes', ({ size, lag }) => {
  it('keeps records whole and in order while positions wrap, and drops only what does not fit', () => {
    const sab = createHandoffBuffer(size);
    // Positions just short of 2^32, as after 4 GiB handed off; the commit point says the same.
    const start = 2 ** 32 - 3000;
    const control = new Int32Array(sab, 0, 8);
    control[WRITE] = start | 0;
    control[READ] = start | 0;
    new Float64Array(sab, COMMIT_BYTE, 4)[0] = start;
    const writer = new HandoffWriter(sab);
    const reader = new HandoffReader(sab);
    const next = { id: 0 };
    let read = 0;
    let wrapped = false;
    const total = 3 * lag;
    for (let i = 0; i < total; i++) {
      writeRequest(writer, facts(i), i, 8192);
      // The reader lags behind by bursts, so the ring fills and some records are dropped.
      if (i % lag === 0) {
        read += readAll(reader, next);
        reader.commit({ ...reader.mark, seq: 0, idTime: 0 });
      }
      if ((control[WRITE] as number) >>> 0 < start) wrapped = true;
    }
    read += readAll(reader, next);
    next.id += reader.takeDropped();
    expect(wrapped).toBe(true);
    expect(writer.dropped).toBeGreaterThan(0);
    expect(read + writer.dropped).toBe(total);
    expect(next.id).toBe(total);
  });
});

describe.each(RINGS)('the hand-off between two threads, a ring of $size bytes', ({ size }) => {
  it('delivers every record once, in order, or counts it as dropped where it was dropped', async () => {
    const sab = createHandoffBuffer(size);
    const reader = new HandoffReader(sab);
    const total = 50_000;
    // The writer runs the built module in a worker thread (the global setup builds dist/).
    const writerUrl = new URL('../dist/events/handoff/records.js', import.meta.url).href;
    const handoffUrl = new URL('../dist/events/handoff/writer.js', import.meta.url).href;
    const worker = new Worker(
      `
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { writeRequest } = await import(workerData.records);
        const { HandoffWriter } = await import(workerData.writer);
        const w = new HandoffWriter(workerData.sab);
        for (let i = 0; i < workerData.total; i++) {
          writeRequest(w, { request_id: String(i), method: 'GET', path: '/u/' + i, endpoint: '/u/{id}',
            query: '', client_ip: '127.0.0.1', headers: { 'x-n': 'n'.repeat(i % 500) }, body_bytes: 0 }, i, 8192);
        }
        parentPort.postMessage(w.dropped);
      })();
      `,
      { eval: true, workerData: { sab, total, records: writerUrl, writer: handoffUrl } },
    );
    const done = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let finished = false;
    let dropped = -1;
    void done.then((d) => {
      finished = true;
      dropped = d;
    });
    const next = { id: 0 };
    let read = 0;
    while (!finished || reader.unread) {
      read += readAll(reader, next);
      reader.commit({ ...reader.mark, seq: 0, idTime: 0 });
      await new Promise((r) => setImmediate(r));
    }
    read += readAll(reader, next);
    next.id += reader.takeDropped();
    await worker.terminate();
    expect(read + dropped).toBe(total);
    expect(next.id).toBe(total);
  });
});
