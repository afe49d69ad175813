import type { EventsNamespace } from '@switchyard/config';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoffBuffer, KIND } from '../src/events/handoff/layout.js';
import { HandoffReader } from '../src/events/handoff/reader.js';
import { type RequestFacts, readRecord, writeRequest, writeResponse } from '../src/events/handoff/records.js';
import { HandoffWriter } from '../src/events/handoff/writer.js';
import { EventHub } from '../src/events/index.js';
import type { ResponseInfo } from '../src/events/observer.js';
import { EVENT_DEFAULTS } from '../src/events/policy.js';
import { buildRecord } from '../src/events/worker/build.js';

// The event worker writes `request` and `response` envelopes as JSON straight from hand-off records. Their
// text must be byte for byte what JSON.stringify of the object form gives (what consumers got before, and
// what the library subscribers still get as objects), on any input.

/** Any string, weighted to what JSON must escape: quotes, backslashes, control characters, unicode, lone surrogates. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc
    .array(
      fc.constantFrom(
        'a',
        '"',
        '\\',
        '\n',
        '\u0000',
        '\u001f',
        '\u007f',
        'é',
        '€',
        '😀',
        '\ud800',
        '\udfff',
        '/',
        '?',
        '&',
        '=',
      ),
      { maxLength: 10 },
    )
    .map((parts) => parts.join('')),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'accept',
    'authorization',
    'cookie',
    'x-secret',
    'X-Secret',
    'set-cookie',
    '123',
    '__proto__',
    'constructor',
  ),
  text.filter((s) => s.length > 0),
);
const headerValue = fc.oneof(text, fc.array(text, { maxLength: 3 }));
/**
 * Queries the worker reads from the record's bytes (nothing to decode) and their near misses: names hidden
 * in any case, repeated, index-like, inherited by objects, empty; values holding `=`, `?`, `#`, unicode.
 */
const plainQuery = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'a',
          'b',
          'page',
          'token',
          'Token',
          'API_KEY',
          'x-sig',
          '1',
          '01',
          'constructor',
          'to%6Ben',
        ),
        fc.option(fc.constantFrom('', '1', 'v=w', 'é€', 'a b', '?', '#x', '😀', 'q"', '%41', '+')),
      ),
      { maxLength: 5 },
    ),
    fc.constantFrom('&', '&&'),
    fc.constantFrom('', '?', '&', '__proto__=1&', '=x&'),
  )
  .map(([parts, sep, lead]) => lead + parts.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(sep));
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('a=1&b=2&a=3', 'token=x&q=%C3%A9', '+x=y+z&&=&k', 'api_key=1&2=two&1=one'),
  text,
  plainQuery,
);
/** A path or URL with such a query (and userinfo, a fragment). */
const urlWithQuery = fc
  .tuple(fc.constantFrom('/p', 'http://h:1/p', 'http://u:pw@h/p', 'http://u@h/p', '/p@x'), plainQuery)
  .map(([u, q]) => `${u}?${q}`);
const number = fc.oneof(
  fc.double(),
  fc.integer({ min: 0, max: 1e9 }),
  fc.constantFrom(0, -0, 1.5, 1e21, 1e-7),
);
const facts = fc.record({
  request_id: text,
  method: text,
  path: fc.oneof(text, fc.constantFrom('/p?token=secret&a=1', '/x?a=%2', '/q#frag?token=1'), urlWithQuery),
  endpoint: text,
  query,
  client_ip: text,
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  body_bytes: number,
});
const response = fc.record({
  status: fc.integer({ min: 0, max: 999 }),
  latency_ms: number,
  bytes: number,
  completed: fc.boolean(),
  backends: fc.array(
    fc.record(
      {
        url: fc.oneof(
          text,
          fc.constantFrom('http://u:pw@h:1/a?api_key=k&x=1', 'https://h/b?password=p'),
          urlWithQuery,
        ),
        method: text,
        status: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 999 })),
        latency_ms: number,
        error: text,
      },
      { requiredKeys: ['url', 'method', 'status', 'latency_ms'] },
    ),
    { maxLength: 3 },
  ),
});
const settings: fc.Arbitrary<EventsNamespace> = fc.record(
  {
    redact_headers: fc.constantFrom(['x-secret'], ['ACCEPT']),
    redact_query: fc.constantFrom(['a'], ['q', 'x'], ['PAGE']),
    max_header_bytes: fc.integer({ min: 0, max: 64 }),
  },
  { requiredKeys: [] },
);

const hubs: EventHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

/** A hub that records (as the worker's does), numbering from the same tag so two hubs make the same ids. */
function recordingHub(s: EventsNamespace): EventHub {
  const hub = new EventHub({ settings: s, nodeId: 'node-"é"', idTag: 42, retainMs: 0 });
  hub.watch(() => undefined);
  hubs.push(hub);
  return hub;
}

/** The envelope text each path makes of one record: straight from the record, and through the object form. */
function bothWays(
  s: EventsNamespace,
  write: (w: HandoffWriter) => boolean,
): { direct: string; viaObject: string } {
  const sab = createHandoffBuffer(65_536);
  expect(write(new HandoffWriter(sab))).toBe(true);
  const rec = new HandoffReader(sab).next() as { bytes: Buffer };
  const direct = recordingHub(s);
  buildRecord(direct, rec.bytes);
  const viaObject = recordingHub(s);
  const r = readRecord(rec.bytes);
  if (r.kind === KIND.request) viaObject.requestStarted(r.req, r.at);
  else if (r.kind === KIND.response) viaObject.requestFinished(r.req, r.res, r.at);
  const a = direct.entry(0);
  const b = viaObject.entry(0);
  if (!a || !b) throw new Error('no event was recorded');
  // The object form's text is JSON.stringify of the envelope object: StoredEvent.of.
  expect(b.json).toBe(JSON.stringify(b.event));
  return { direct: a.json, viaObject: b.json };
}

describe('envelopes written straight from hand-off records', () => {
  it('equal JSON.stringify of the object form for request events, on any input', () => {
    fc.assert(
      fc.property(facts, settings, fc.integer({ min: 0, max: 4e12 }), (f, s, at) => {
        const { direct, viaObject } = bothWays(s, (w) => writeRequest(w, f as RequestFacts, at, 1024));
        expect(direct).toBe(viaObject);
      }),
      {
        numRuns: 500,
        // Found on CI: two lone surrogates are one name (U+FFFD) once in the record; an object keeps it once.
        examples: [
          [
            {
              request_id: '',
              method: '',
              path: '/p?token=secret&a=1',
              endpoint: '',
              query: 'a=1&b=2&a=3',
              client_ip: '',
              headers: { '\ud800': '', '\udfff': '' },
              body_bytes: 0,
            },
            {},
            0,
          ],
        ],
      },
    );
  });

  it('equal JSON.stringify of the object form for response events, on any input', () => {
    fc.assert(
      fc.property(facts, response, settings, fc.integer({ min: 0, max: 4e12 }), (f, res, s, at) => {
        const { direct, viaObject } = bothWays(s, (w) =>
          writeResponse(w, f as RequestFacts, res as ResponseInfo, at),
        );
        expect(direct).toBe(viaObject);
      }),
      { numRuns: 500 },
    );
  });

  it('redact, cap headers and count what they left out as the object form does', () => {
    const f: RequestFacts = {
      request_id: 'r1',
      method: 'GET',
      path: '/a?token=t&b=1',
      endpoint: '/a',
      query: 'token=t&b=1',
      client_ip: '127.0.0.1',
      headers: { authorization: 'Bearer x', 'x-long': 'v'.repeat(40), 'x-list': ['a', 'b'] },
      body_bytes: 0,
    };
    const { direct, viaObject } = bothWays({ max_header_bytes: 32 }, (w) => writeRequest(w, f, 1000, 8192));
    expect(direct).toBe(viaObject);
    expect(JSON.parse(direct).data).toMatchObject({
      path: '/a?token=[REDACTED]&b=1',
      query: { token: '[REDACTED]', b: '1' },
      headers: { authorization: '[REDACTED]', 'x-list': ['a', 'b'] },
      headers_omitted: 1,
    });
  });

  it("redact the URLs a backend error's text names, as the call's url is", () => {
    // A failed call's error is worded as Go's client words it and names the backend URL, with the
    // client's query: its credentials must not reach the event through the error either.
    const f: RequestFacts = {
      request_id: 'r2',
      method: 'GET',
      path: '/d?api_key=s3cret',
      endpoint: '/d',
      query: 'api_key=s3cret',
      client_ip: '127.0.0.1',
      headers: {},
      body_bytes: 0,
    };
    const backend = 'http://u:pw0rd@127.0.0.1:1/d?api_key=s3cret&x=1';
    const res: ResponseInfo = {
      status: 500,
      latency_ms: 1,
      bytes: 0,
      completed: false,
      backends: [
        {
          url: backend,
          method: 'GET',
          status: null,
          latency_ms: 1,
          error: `Get "${backend}": dial tcp 127.0.0.1:1: connect: connection refused`,
        },
      ],
    };
    const { direct, viaObject } = bothWays({}, (w) => writeResponse(w, f, res, 1000));
    expect(direct).toBe(viaObject);
    expect(direct).not.toContain('s3cret');
    expect(direct).not.toContain('pw0rd');
    expect(JSON.parse(direct).data.backends[0].error).toBe(
      'Get "http://u:[REDACTED]@127.0.0.1:1/d?api_key=[REDACTED]&x=1": dial tcp 127.0.0.1:1: connect: connection refused',
    );
  });

  it('keep a response whose backend error is a huge body (return_error_code), its error cut', () => {
    // With return_error_code the error is the backend's body: the record must not outgrow the hand-off,
    // which would lose the whole response event.
    const f: RequestFacts = {
      request_id: 'r3',
      method: 'GET',
      path: '/big',
      endpoint: '/big',
      query: '',
      client_ip: '127.0.0.1',
      headers: {},
      body_bytes: 0,
    };
    const res: ResponseInfo = {
      status: 502,
      latency_ms: 1,
      bytes: 0,
      completed: false,
      backends: [
        { url: 'http://b/big', method: 'GET', status: 502, latency_ms: 1, error: 'é'.repeat(300_000) },
      ],
    };
    const { direct, viaObject } = bothWays({}, (w) => writeResponse(w, f, res, 1000));
    expect(direct).toBe(viaObject);
    expect(JSON.parse(direct).data.backends[0].error).toBe('é'.repeat(EVENT_DEFAULTS.maxErrorChars));
    // The hub of a gateway without an event worker cuts it alike.
    const inThread = recordingHub({});
    inThread.requestFinished({ ...f, query: {}, headers: {} }, res, 1000);
    expect(inThread.entry(0)?.json).toBe(direct);
  });

  it('carry the timestamp and request id beside the text, and parse the object only when asked', () => {
    const hub = recordingHub({});
    const sab = createHandoffBuffer(65_536);
    const f: RequestFacts = {
      request_id: 'req-7',
      method: 'GET',
      path: '/',
      endpoint: '/',
      query: '',
      client_ip: '::1',
      headers: {},
      body_bytes: 0,
    };
    writeRequest(new HandoffWriter(sab), f, 1_700_000_000_999, 8192);
    buildRecord(hub, (new HandoffReader(sab).next() as { bytes: Buffer }).bytes);
    const stored = hub.entry(0);
    expect(stored?.facts).toEqual({ timestamp: 1_700_000_000, requestId: 'req-7' });
    expect(stored?.event).toMatchObject({
      event_type: 'request',
      timestamp: 1_700_000_000,
      data: { request_id: 'req-7' },
    });
  });

  it('write nothing for a request that is not sampled or a type that is filtered', () => {
    const hub = recordingHub({ types: ['response'] });
    const sab = createHandoffBuffer(65_536);
    const w = new HandoffWriter(sab);
    const f: RequestFacts = {
      request_id: 'r',
      method: 'GET',
      path: '/',
      endpoint: '/',
      query: '',
      client_ip: '::1',
      headers: {},
      body_bytes: 0,
    };
    writeRequest(w, f, 1000, 8192);
    const reader = new HandoffReader(sab);
    buildRecord(hub, (reader.next() as { bytes: Buffer }).bytes);
    expect(hub.nextSeq).toBe(0);
    const unsampled = recordingHub({ sample_rate: 0 });
    writeResponse(w, f, { status: 200, latency_ms: 1, bytes: 0, completed: true, backends: [] }, 1000);
    buildRecord(unsampled, (reader.next() as { bytes: Buffer }).bytes);
    expect(unsampled.nextSeq).toBe(0);
  });
});
