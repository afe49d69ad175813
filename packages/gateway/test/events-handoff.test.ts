import type { EventType } from '@switchyard/shared';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoffBuffer, KIND } from '../src/events/handoff/layout.js';
import { HandoffReader, type RawRecord } from '../src/events/handoff/reader.js';
import {
  parseQuery,
  type RequestFacts,
  readRecord,
  writeRequest,
  writeResponse,
} from '../src/events/handoff/records.js';
import { HandoffWriter } from '../src/events/handoff/writer.js';
import { EventHub, type GapInfo } from '../src/events/index.js';
import { HandoffRecorder } from '../src/events/worker/recorder.js';

// The hand-off from the request thread to the event worker: records round-trip, overflow is counted
// exactly and never waits, what a type filter leaves out is never written, and lost records reach
// consumers as gaps.

const facts = (i: number, headers: RequestFacts['headers'] = { accept: '*/*' }): RequestFacts => ({
  request_id: `req-${i}`,
  method: 'GET',
  path: `/users/${i}`,
  endpoint: '/users/{id}',
  query: `q=${i}&token=t${i}&q=again`,
  client_ip: '127.0.0.1',
  headers,
  body_bytes: 3,
});
type Backend = (typeof response.backends)[number];
const response = {
  status: 502,
  latency_ms: 12.5,
  bytes: 40,
  completed: false,
  backends: [
    { url: 'http://127.0.0.1:9/u?api_key=k', method: 'GET', status: null, latency_ms: 3, error: 'refused' },
    { url: 'http://127.0.0.1:9/v', method: 'POST', status: 200, latency_ms: 1.5 },
  ],
};

const hubs: EventHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

describe('hand-off records', () => {
  it('parse a query into its own names: `constructor` and `__proto__` are names like any other', () => {
    const query = parseQuery('constructor=x&__proto__=y&a=1&a=2&toString=z');
    expect(JSON.stringify(query)).toBe('{"constructor":"x","__proto__":"y","a":["1","2"],"toString":"z"}');
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
  });

  it('carry a request and its response across, headers as Node parsed them, the query parsed on read', () => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    const reader = new HandoffReader(sab);
    const f = facts(1, { accept: '*/*', 'set-cookie': ['a=1', 'b=2'] });
    expect(writeRequest(writer, f, 1000, 8192)).toBe(true);
    expect(writeResponse(writer, f, response, 2000)).toBe(true);
    const first = reader.next();
    const second = reader.next();
    expect(reader.next()).toBeUndefined();
    expect(readRecord((first as { bytes: Buffer }).bytes)).toEqual({
      kind: KIND.request,
      at: 1000,
      req: {
        request_id: 'req-1',
        method: 'GET',
        path: '/users/1',
        endpoint: '/users/{id}',
        query: { q: ['1', 'again'], token: 't1' },
        client_ip: '127.0.0.1',
        headers: { accept: '*/*', 'set-cookie': ['a=1', 'b=2'] },
        body_bytes: 3,
      },
    });
    expect(readRecord((second as { bytes: Buffer }).bytes)).toMatchObject({
      kind: KIND.response,
      at: 2000,
      req: { request_id: 'req-1', path: '/users/1', endpoint: '/users/{id}' },
      res: response,
    });
  });

  it.each([65_536, 1 << 20])(
    'carry any text as its UTF-8 says it, short or long (a ring of %i bytes)',
    (size) => {
      // Lone surrogates have no UTF-8: they arrive as U+FFFD, as Buffer#write makes them.
      const asUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
      const unit = fc.constantFrom(
        'a',
        '"',
        '\u0000',
        '\u007f',
        '\u0080',
        'é',
        '\u00ff',
        '€',
        '😀',
        '\ud800',
        '\udfff',
      );
      const text = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.array(unit, { maxLength: 70 }).map((parts) => parts.join('')),
      );
      const sab = createHandoffBuffer(size);
      const writer = new HandoffWriter(sab);
      const reader = new HandoffReader(sab);
      fc.assert(
        fc.property(text, text, text, fc.array(text, { maxLength: 3 }), (id, path, value, values) => {
          const f = { ...facts(0, { a: value, b: values }), request_id: id, path };
          expect(writeRequest(writer, f, 1, 8192)).toBe(true);
          expect(
            writeResponse(
              writer,
              f,
              { ...response, backends: [{ ...(response.backends[0] as Backend), error: value }] },
              2,
            ),
          ).toBe(true);
          const req = readRecord((reader.next() as RawRecord).bytes);
          const res = readRecord((reader.next() as RawRecord).bytes);
          reader.commit({ ...reader.mark, seq: 0, idTime: 0 });
          expect(req.kind === KIND.request && req.req).toMatchObject({
            request_id: asUtf8(id),
            path: asUtf8(path),
            headers: { a: asUtf8(value), b: values.map(asUtf8) },
          });
          expect(res.kind === KIND.response && res.res.backends[0]?.error).toBe(asUtf8(value));
        }),
      );
    },
  );

  it('leave out headers beyond the byte cap and count them', () => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    const reader = new HandoffReader(sab);
    writeRequest(writer, facts(1, { accept: '*/*', 'x-big': 'x'.repeat(30_000), host: 'h' }), 0, 8192);
    const r = readRecord((reader.next() as { bytes: Buffer }).bytes);
    expect(r.kind === KIND.request && r.req).toMatchObject({
      headers: { accept: '*/*', host: 'h' },
      headers_omitted: 1,
    });
  });

  it('drop and count exactly what does not fit; the writer never waits; freed room is used again', () => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    const reader = new HandoffReader(sab);
    const headers = { 'x-pad': 'p'.repeat(1000) };
    let written = 0;
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      if (writeRequest(writer, facts(i, headers), i, 8192)) written++;
      else refused++;
    }
    expect(written).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(writer.dropped).toBe(refused);
    // The drops came after every record written: they are told once those are read, not before.
    expect(reader.takeDropped()).toBe(0);
    const ids: string[] = [];
    for (let rec = reader.next(); rec; rec = reader.next()) {
      const r = readRecord(rec.bytes);
      if (r.kind === KIND.request) ids.push(r.req.request_id);
      expect(rec.lostBefore).toBe(0);
    }
    expect(ids).toEqual(Array.from({ length: written }, (_, i) => `req-${i}`));
    expect(reader.takeDropped()).toBe(refused);
    expect(reader.takeDropped()).toBe(0);
    // Nothing is free until the reader hands the records back.
    expect(writeRequest(writer, facts(999, headers), 0, 8192)).toBe(false);
    reader.commit({ ...reader.mark, seq: written + refused, idTime: 0 });
    expect(writer.pending).toBe(0);
    // A worker started after drops it never saw (its predecessor died) reports them, once it commits.
    const successor = new HandoffReader(sab);
    expect(successor.resumed).toMatchObject({ seq: written + refused, dropped: refused });
    expect(successor.takeDropped()).toBe(1);
    successor.commit({ ...successor.mark, seq: written + refused + 1, idTime: 0 });
    expect(new HandoffReader(sab).takeDropped()).toBe(0);
    // Around the ring's end and on: records keep arriving whole.
    for (let i = 0; i < 500; i++) {
      expect(writeRequest(writer, facts(1000 + i, headers), 0, 8192)).toBe(true);
      const rec = successor.next();
      const r = readRecord((rec as { bytes: Buffer }).bytes);
      expect(r.kind === KIND.request && r.req.request_id).toBe(`req-${1000 + i}`);
      successor.commit({ ...successor.mark, seq: 0, idTime: 0 });
    }
  });

  it('place the hole of a drop before the next record, however far the reader had read', () => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    const reader = new HandoffReader(sab);
    const headers = { 'x-pad': 'p'.repeat(25_000) };
    expect(writeRequest(writer, facts(0, headers), 0, 30_000)).toBe(true);
    expect(writeRequest(writer, facts(1, headers), 0, 30_000)).toBe(true);
    expect(writeRequest(writer, facts(2, headers), 0, 30_000)).toBe(false);
    expect(writeRequest(writer, facts(3, headers), 0, 30_000)).toBe(false);
    // The first record is read before the drops are seen; the second one is not yet in the reader's view.
    expect(reader.next()?.lostBefore).toBe(0);
    const first = reader.mark;
    reader.commit({ ...first, seq: 1, idTime: 0 });
    expect(writeRequest(writer, facts(4, { a: 'b' }), 0, 30_000)).toBe(true);
    expect(reader.next()?.lostBefore).toBe(0);
    expect(reader.takeDropped()).toBe(0);
    expect(reader.next()?.lostBefore).toBe(2);
    // A successor that resumes after the first record reads the same records with the same holes.
    const successor = new HandoffReader(sab);
    expect(successor.next()?.lostBefore).toBe(0);
    expect(successor.next()?.lostBefore).toBe(2);
    expect(successor.next()).toBeUndefined();
  });
});

describe('a worker started again', () => {
  it('resumes from the last commit point and gives the events it makes again the same ids', () => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    for (let i = 0; i < 6; i++) writeRequest(writer, facts(i), 1000 + i, 8192);
    // The first worker builds all six; its consumer took the first three (committed), then it died.
    const first = new HandoffReader(sab);
    const hubA = new EventHub({ idTag: 7, retainMs: 0 });
    hubs.push(hubA);
    const idsA: string[] = [];
    hubA.subscribe((e) => idsA.push(e.id));
    for (let i = 0; i < 6; i++) {
      const rec = first.next() as RawRecord;
      const r = readRecord(rec.bytes);
      if (r.kind === KIND.request) hubA.requestStarted(r.req, r.at);
      if (i === 2) first.commit({ ...first.mark, seq: hubA.nextSeq, idTime: hubA.idTime });
    }
    // Its successor, set up as the worker entry does, reads the last three again.
    const again = new HandoffReader(sab);
    const hubB = new EventHub({
      idTag: 7,
      firstSeq: again.resumed.seq,
      idTime: again.resumed.idTime,
      retainMs: 0,
    });
    hubs.push(hubB);
    const idsB: string[] = [];
    hubB.subscribe((e) => idsB.push(e.id));
    for (let rec = again.next(); rec; rec = again.next()) {
      const r = readRecord(rec.bytes);
      if (r.kind === KIND.request) hubB.requestStarted(r.req, r.at);
    }
    expect(idsB).toHaveLength(3);
    expect(idsB).toEqual(idsA.slice(3));
  });
});

describe('the recorder (request thread)', () => {
  const setup = (types: EventType[] | undefined, consumerTypes: EventType[] | null) => {
    const sab = createHandoffBuffer(65_536);
    const writer = new HandoffWriter(sab);
    const hub = new EventHub({ settings: { ...(types && { types }) }, retainMs: 0 });
    hubs.push(hub);
    const recorder = new HandoffRecorder(writer, hub, consumerTypes ? new Set(consumerTypes) : null);
    return { writer, hub, recorder, reader: new HandoffReader(sab) };
  };
  const kinds = (reader: HandoffReader) => {
    const out: number[] = [];
    for (let rec = reader.next(); rec; rec = reader.next()) out.push(rec.bytes[0] as number);
    return out;
  };

  it('writes no request record when the consumer filter (EVENT_FILTER_TYPES) leaves requests out', () => {
    const { recorder, reader, writer } = setup(undefined, ['response']);
    expect(recorder.recording).toBe(true);
    recorder.requestStarted(facts(1), 0);
    expect(writer.pending).toBe(0);
    recorder.requestFinished(facts(1), response);
    expect(kinds(reader)).toEqual([KIND.response]);
  });

  it('writes no request record when telemetry/events types leave requests out', () => {
    const { recorder, reader } = setup(['response', 'node_health'], ['request', 'response']);
    recorder.requestStarted(facts(1), 0);
    recorder.requestFinished(facts(1), response);
    expect(kinds(reader)).toEqual([KIND.response]);
  });

  it('records nothing while no one consumes events', () => {
    const { recorder } = setup(undefined, null);
    expect(recorder.recording).toBe(false);
  });

  it('records every emitted type while the hub has consumers of its own (an SSE stream)', () => {
    const { recorder, reader, hub } = setup(undefined, ['response']);
    hub.watch(() => undefined);
    recorder.requestStarted(facts(1), 0);
    expect(kinds(reader)).toEqual([KIND.request]);
  });
});

describe('lost records', () => {
  it('reach in-process consumers and replays as exactly counted gaps', () => {
    const hub = new EventHub({ settings: { health_interval: '1h' } });
    hubs.push(hub);
    const gaps: GapInfo[] = [];
    const seen: string[] = [];
    const first = hub.nextSeq;
    hub.subscribe((e) => seen.push(e.id), { onGap: (g) => gaps.push(g) });
    hub.pluginUpdated({ plugin: 'p', scope: 's', change: 'config', from: 1, to: 2 });
    const lastBefore = seen[0] as string;
    hub.lose(3);
    hub.pluginUpdated({ plugin: 'p', scope: 's', change: 'config', from: 2, to: 3 });
    expect(gaps).toEqual([{ missed: 3, from: null, oldest: null, exact: true }]);
    expect(hub.nextSeq - first).toBe(5);
    // A consumer resuming after the first event is told about the same 3, exactly.
    const replayGaps: GapInfo[] = [];
    const replayed: string[] = [];
    hub.subscribe((e) => replayed.push(e.id), { afterId: lastBefore, onGap: (g) => replayGaps.push(g) });
    expect(replayed).toEqual([seen[1]]);
    expect(replayGaps.reduce((n, g) => n + g.missed, 0)).toBe(3);
  });

  it('of an unknown number reach in-process consumers as inexact gaps, live and replayed', () => {
    const hub = new EventHub({ settings: { health_interval: '1h' } });
    hubs.push(hub);
    const gaps: GapInfo[] = [];
    const seen: string[] = [];
    hub.subscribe((e) => seen.push(e.id), { onGap: (g) => gaps.push(g) });
    hub.pluginUpdated({ plugin: 'p', scope: 's', change: 'config', from: 1, to: 2 });
    hub.loseUncounted(7);
    hub.pluginUpdated({ plugin: 'p', scope: 's', change: 'config', from: 2, to: 3 });
    expect(gaps).toEqual([{ missed: 7, from: null, oldest: null, exact: false }]);
    const replayGaps: GapInfo[] = [];
    hub.subscribe(() => undefined, { afterId: seen[0] as string, onGap: (g) => replayGaps.push(g) });
    expect(replayGaps).toEqual([{ missed: 7, from: null, oldest: null, exact: false }]);
  });

  it('keep the ring within its byte bound', () => {
    const hub = new EventHub({ settings: { ring_max_bytes: 65_536, health_interval: '1h' } });
    hubs.push(hub);
    hub.subscribe(() => undefined);
    for (let i = 0; i < 100; i++)
      hub.pluginUpdated({ plugin: 'p', scope: 's', change: 'config', from: 'x'.repeat(5000), to: i });
    expect(hub.retainedBytes).toBeLessThanOrEqual(65_536);
    expect(hub.retained).toBeLessThan(10);
    expect(hub.retained).toBeGreaterThan(0);
  });
});
