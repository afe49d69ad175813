import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goJson } from '../src/encode/go-json.js';
import { referenceGoJson } from './support/go-json-reference.js';

// Keys that stress the fast path: integer-like keys V8 enumerates first, `__proto__`, characters Go escapes.
const key = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    '0',
    '1',
    '9',
    '10',
    '01',
    '-1',
    '4294967295',
    '<&>',
    '\u2028',
  ),
  fc.nat().map(String),
);
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('<b>&amp;</b>', 'a\u2028b\u2029c', '\ud800', '"\\/'),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 8 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
}));

describe('goJson (Go encoding/json bytes)', () => {
  it('writes exactly what the reference encoder writes, on random JSON values', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(goJson(v)).toBe(referenceGoJson(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes values decoded from JSON text as the reference does (own __proto__ keys included)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const decoded = JSON.parse(JSON.stringify(v)) as unknown;
        expect(goJson(decoded)).toBe(referenceGoJson(decoded));
      }),
      { numRuns: 1000 },
    );
  });

  it('sorts integer-like keys as strings, as Go does, where V8 would enumerate them numerically', () => {
    expect(goJson({ b: 1, 9: [{ 10: 'x', 9: 'y' }], 10: '<&>', a: undefined })).toBe(
      '{"10":"\\u003c\\u0026\\u003e","9":[{"10":"x","9":"y"}],"b":1}',
    );
  });

  it('writes non-JSON values as the reference does: a Date as its fields, functions and bigints as null', () => {
    const odd = { d: new Date(0), f: () => 1, n: 10n, u: undefined, arr: [undefined, () => 1, Number.NaN] };
    expect(goJson(odd)).toBe(referenceGoJson(odd));
    expect(goJson(undefined)).toBe('null');
  });
});
