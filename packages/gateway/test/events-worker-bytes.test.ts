import {
  redactQuery,
  redactUrl,
  SENSITIVE_HEADERS,
  sensitiveNames,
  sensitiveQueryNames,
} from '@switchyard/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/events/handoff/records.js';
import { HeaderNames, HIDDEN, UNORDERED } from '../src/events/worker/header-names.js';
import { JsonBytes } from '../src/events/worker/json-bytes.js';
import { urlKeptAsIs, writePlainQuery } from '../src/events/worker/query-bytes.js';

// The event worker's fast paths, each against what it stands for: JSON.stringify, redactUrl, redactQuery
// of parseQuery, and the policy's header-name checks. events-record-json.test.ts checks whole envelopes.

/** Strings weighted to what JSON escapes and to what is not ASCII. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ maxLength: 16 }),
  fc
    .array(
      fc.constantFrom('a', ' ', '~', '\u007f', '"', '\\', '\n', '\u0000', 'é', '€', '😀', '\ud800', '\u2028'),
      {
        maxLength: 10,
      },
    )
    .map((parts) => parts.join('')),
);

/** What `write` puts in a fresh writer, as text. */
function written(write: (w: JsonBytes) => void, slabBytes?: number): string {
  const w = new JsonBytes(slabBytes).reset();
  write(w);
  return w.take().toString('utf8');
}

describe('JsonBytes', () => {
  it('writes a string as JSON.stringify does, escapes and unicode included', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(written((w) => w.str(s))).toBe(JSON.stringify(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a number as JSON.stringify does', () => {
    const number = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.constantFrom(
        0,
        -0,
        9,
        10,
        2 ** 53,
        2 ** 53 - 1,
        1e21,
        -1,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ),
    );
    fc.assert(
      fc.property(number, (n) => {
        expect(written((w) => w.num(n))).toBe(JSON.stringify(n));
      }),
      { numRuns: 1000 },
    );
  });

  it('hands out views that stay as written while later events fill and leave slabs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (events, slab) => {
          const w = new JsonBytes(slab);
          const taken: [Buffer, string][] = [];
          for (const [s, keep] of events) {
            w.reset().ascii('[').str(s);
            // Something written and taken back, which may have moved the event to a new slab.
            const mark = w.mark();
            w.str(s).ascii(',').num(s.length);
            w.back(mark);
            w.ascii(']');
            // An event left unfinished is dropped by the next reset, never taken.
            if (keep) taken.push([w.take(), `[${JSON.stringify(s)}]`]);
          }
          for (const [bytes, expected] of taken) expect(bytes.toString('utf8')).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copies a string held as UTF-8 as a JSON string and counts its UTF-16 units', () => {
    fc.assert(
      fc.property(text, (s) => {
        // A record holds well-formed UTF-8: lone surrogates became U+FFFD.
        const utf8 = Buffer.from(`..${s}.`);
        const decoded = utf8.toString('utf8', 2, utf8.length - 1);
        let units = -1;
        expect(written((w) => (units = w.utf8(utf8, 2, utf8.length - 1)))).toBe(JSON.stringify(decoded));
        expect(units).toBe(decoded.length);
      }),
    );
  });
});

describe('plain queries and URLs read from bytes', () => {
  const name = fc.oneof(
    fc.constantFrom('a', 'page', 'token', 'TOKEN', 'api_key', 'x-sig', 'Session', '1', '10a', 'é', ''),
    fc.constantFrom('constructor', '__proto__', 'toString', 'to%6Ben', 'api+key', 'x?', 'k#'),
    fc.string({ maxLength: 4 }),
  );
  const value = fc.oneof(
    fc.constantFrom('', 'v', 'a=b', '?', '#f', 'é€😀', 'x y', '"', '\\', '%', '+'),
    text,
  );
  const query = fc
    .tuple(
      fc.array(fc.tuple(name, fc.option(value)), { maxLength: 6 }),
      fc.constantFrom('&', '&&'),
      fc.constantFrom('', '?', '&'),
    )
    .map(([parts, sep, lead]) => lead + parts.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(sep));
  const hide = fc.constantFrom(sensitiveQueryNames(), sensitiveQueryNames(['PAGE', 'a']));

  it('write a query as JSON.stringify(redactQuery(parseQuery(it))), or nothing when it is not plain', () => {
    fc.assert(
      fc.property(query, hide, (q, h) => {
        const bytes = Buffer.from(`x${q}y`);
        const w = new JsonBytes().reset();
        const plain = writePlainQuery(w, bytes, 1, bytes.length - 1, h);
        const out = w.take().toString('utf8');
        // Taken from the record's bytes: lone surrogates are U+FFFD there too.
        const recorded = bytes.toString('utf8', 1, bytes.length - 1);
        if (plain) expect(out).toBe(JSON.stringify(redactQuery(parseQuery(recorded), h)));
        else expect(out).toBe('');
      }),
      { numRuns: 2000 },
    );
  });

  it('take the common queries from the bytes, and hidden values come out redacted', () => {
    const h = sensitiveQueryNames();
    const plain = (q: string) => {
      const w = new JsonBytes().reset();
      const bytes = Buffer.from(q);
      return writePlainQuery(w, bytes, 0, bytes.length, h) ? w.take().toString('utf8') : undefined;
    };
    expect(plain('page=2&sort=name')).toBe('{"page":"2","sort":"name"}');
    expect(plain('q=caf\u00e9&Token=s3cret&x')).toBe('{"q":"café","Token":"[REDACTED]","x":""}');
    expect(plain('')).toBe('{}');
    // Left to the string path: decoding, a repeated name (an array), an index (reordered), __proto__.
    for (const q of ['a=%41', 'a=b+c', 'a=1&a=2', 'b=1&0=x', '__proto__=x']) expect(plain(q)).toBeUndefined();
  });

  it('keep a URL as it is only when redactUrl would', () => {
    const url = fc
      .tuple(
        fc.constantFrom('', '/p', 'http://h:1/p', 'http://u:pw@h/p', 'http://u@h', '/p@x', 'https://h/p#f'),
        query,
      )
      .map(([u, q]) => `${u}?${q}`);
    fc.assert(
      fc.property(fc.oneof(url, text), hide, (u, h) => {
        const bytes = Buffer.from(u);
        const recorded = bytes.toString('utf8');
        if (urlKeptAsIs(bytes, 0, bytes.length, h)) expect(redactUrl(recorded, h)).toBe(recorded);
      }),
      { numRuns: 2000 },
    );
    const h = sensitiveQueryNames();
    const kept = (u: string) => urlKeptAsIs(Buffer.from(u), 0, Buffer.byteLength(u), h);
    expect(kept('/users/1')).toBe(true);
    expect(kept('http://127.0.0.1:9000/users/1?page=2&sort=name#token=x')).toBe(true);
    expect(kept('/users/1?page=2&api_key=k')).toBe(false);
    expect(kept('/users/1?page=2&API-Key=k')).toBe(false);
    expect(kept('http://u:pw@h/p')).toBe(false);
  });
});

describe('header names read from bytes', () => {
  const expected = (name: string, hide: ReturnType<typeof sensitiveNames>) => {
    const c = name.charCodeAt(0);
    const unordered = (c >= 0x30 && c <= 0x39) || name === '__proto__' || name.includes('\uFFFD');
    return (hide.has(name.toLowerCase()) ? HIDDEN : 0) | (unordered ? UNORDERED : 0);
  };

  it("answer as the policy's checks do, for any name, asked once or again, beyond the names remembered", () => {
    const hide = sensitiveNames(SENSITIVE_HEADERS, ['x-secret']);
    const names = new HeaderNames(hide);
    const all = fc.sample(
      fc.oneof(text, fc.constantFrom('authorization', 'X-Secret', '__proto__', '1x', 'accept')),
      3000,
    );
    for (let round = 0; round < 2; round++)
      for (const n of all) {
        const bytes = Buffer.from(`:${n}:`);
        const recorded = bytes.toString('utf8', 1, bytes.length - 1);
        expect(names.of(bytes, 1, bytes.length - 1)).toBe(expected(recorded, hide));
      }
  });

  it('tell apart two names with the same hash', () => {
    // FNV-1a of both is 1083441477; only the second is a secret (it holds "pwd").
    const names = new HeaderNames(sensitiveNames(SENSITIVE_HEADERS));
    const of = (n: string) => names.of(Buffer.from(n), 0, n.length);
    expect([of('x-mnrvtp'), of('pwdijpjj'), of('x-mnrvtp'), of('pwdijpjj')]).toEqual([0, HIDDEN, 0, HIDDEN]);
  });
});
