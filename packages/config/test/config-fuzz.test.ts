import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadGatewayConfig,
  MAX_JSON_DEPTH,
  parseJsonWithPositions,
  validateGatewayConfig,
} from '@switchyard/config';
import { isSwitchyardError } from '@switchyard/shared';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 16 ("a fuzz and abuse suite that stays"): the config loader never crashes, hangs or grows without
// bound on any input; what it refuses gets a SWY_* error naming file and line:column. Runs are bounded.
const RUNS = { numRuns: 300 };
const LOCATED = /^fuzz\.json:\d+:\d+: /;

/** Parses and, when it parses, validates: returns the refusal, or null when accepted. */
function load(text: string): { code: string; message: string } | null {
  try {
    const parsed = parseJsonWithPositions(text, 'fuzz.json');
    validateGatewayConfig(parsed.value, { file: 'fuzz.json', parsed, env: {} });
    return null;
  } catch (err) {
    if (!isSwitchyardError(err)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** Nests `depth` arrays or objects around a value, alternating as the bits of `shape` say. */
function nested(depth: number, shape: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const object = ((shape >> (i % 30)) & 1) === 1;
    open += object ? '{"k":' : '[';
    close = (object ? '}' : ']') + close;
  }
  return `${open}1${close}`;
}

describe('config loader under arbitrary input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads any JSON text as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonWithPositions(text, 'fuzz.json').value).toEqual(JSON.parse(text));
      }),
      RUNS,
    );
  });

  it('refuses exactly the texts JSON.parse refuses, with file and line:column', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200, unit: 'binary' }),
      fc.string({
        maxLength: 200,
        unit: fc.constantFrom(...'{}[]":,.-+eE0123456789tfnrul \t\n\\/'.split('')),
      }),
    );
    fc.assert(
      fc.property(text, (t) => {
        let valid = true;
        try {
          // A leading BOM is tolerated, as editors write one.
          JSON.parse(t.replace(/^\uFEFF/, ''));
        } catch {
          valid = false;
        }
        const refusal = load(t);
        if (valid) expect(refusal?.code).not.toBe('SWY_CONFIG_PARSE');
        else {
          expect(refusal?.code).toBe('SWY_CONFIG_PARSE');
          expect(refusal?.message).toMatch(LOCATED);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('answers every mutation of a real file with a value or a located SWY_* error', () => {
    const base = JSON.stringify(
      {
        version: 3,
        endpoints: [
          {
            endpoint: '/users/{id}',
            backend: [{ host: ['http://127.0.0.1:8000'], url_pattern: '/u/{id}', allow: ['a'] }],
            extra_config: { 'qos/ratelimit/router': { max_rate: 10 } },
          },
        ],
      },
      null,
      2,
    );
    const edit = fc.record({
      at: fc.nat({ max: base.length }),
      drop: fc.nat({ max: 4 }),
      insert: fc.string({ maxLength: 6, unit: fc.constantFrom(...'{}[]":,0-9ae \n\\/u'.split('')) }),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = base;
        for (const e of edits) text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.drop);
        const refusal = load(text);
        if (refusal && refusal.code !== 'SWY_CONFIG_INVALID') expect(refusal.message).toMatch(LOCATED);
        if (refusal) expect(refusal.code).toMatch(/^SWY_CONFIG_(PARSE|INVALID|TOO_DEEP)$/);
      }),
      RUNS,
    );
  });

  it('validates any value at any place of a gateway file without throwing anything but SWY_CONFIG_INVALID', () => {
    const anyValue = fc.jsonValue({ maxDepth: 4 });
    const file = fc.record({
      version: fc.oneof(fc.constant(3), anyValue),
      endpoints: fc.oneof(
        fc.array(
          fc.record(
            {
              endpoint: fc.oneof(fc.constantFrom('/a', '/a/{id}', '/{x}/{x}', 'no-slash'), fc.string()),
              method: fc.oneof(fc.constantFrom('GET', 'POST'), anyValue),
              backend: fc.oneof(
                fc.array(
                  fc.record(
                    {
                      host: fc.oneof(fc.constant(['http://127.0.0.1:1']), anyValue),
                      url_pattern: fc.oneof(fc.constantFrom('/b', '/b/{id}', '/{resp0_x}'), fc.string()),
                      extra_config: fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 }),
                    },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 3 },
                ),
                anyValue,
              ),
              extra_config: fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 }),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        anyValue,
      ),
      extra_config: fc.oneof(fc.dictionary(fc.string({ maxLength: 20 }), anyValue, { maxKeys: 3 }), anyValue),
    });
    fc.assert(
      fc.property(file, (value) => {
        const refusal = load(JSON.stringify(value));
        if (refusal) expect(refusal.code).toBe('SWY_CONFIG_INVALID');
      }),
      RUNS,
    );
  });

  // Found by the property above: a namespace named after an Object.prototype member crashed the check.
  it('warns about namespaces named toString, constructor or hasOwnProperty like any unknown one', () => {
    for (const ns of ['toString', 'constructor', 'hasOwnProperty']) {
      const text = `{"version": 3, "endpoints": [], "extra_config": {"${ns}": {}}}`;
      const parsed = parseJsonWithPositions(text, 'fuzz.json');
      const { warnings } = validateGatewayConfig(parsed.value, { file: 'fuzz.json', parsed, env: {} });
      expect(warnings.map((w) => w.message).join('\n'), ns).toContain(`namespace "${ns}" is not implemented`);
    }
  });

  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses deeper with a located diagnostic`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 * MAX_JSON_DEPTH }), fc.nat(), (depth, shape) => {
        const text = nested(depth, shape);
        if (depth <= MAX_JSON_DEPTH) {
          expect(() => parseJsonWithPositions(text, 'fuzz.json')).not.toThrow();
        } else {
          expect(() => parseJsonWithPositions(text, 'fuzz.json')).toThrow(
            expect.objectContaining({ code: 'SWY_CONFIG_TOO_DEEP', message: expect.stringMatching(LOCATED) }),
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  // The probe of issue 16.10: a file nested 3,000 deep exited with "Maximum call stack size exceeded".
  it('loads a file nested 3,000 deep into a SWY_CONFIG_TOO_DEEP diagnostic with file and line:column', async () => {
    const file = join(dir, 'deep.json');
    writeFileSync(
      file,
      `{\n  "version": 3,\n  "endpoints": [],\n  "extra_config": {"x": ${nested(3000, 0x2aaaaaaa)}}\n}\n`,
    );
    await expect(loadGatewayConfig(file, { env: {} })).rejects.toMatchObject({
      code: 'SWY_CONFIG_TOO_DEEP',
      message: expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `)),
    });
  });

  it(`serves a file whose values nest ${MAX_JSON_DEPTH - 12} levels inside it: check with --lint passes`, async () => {
    const file = join(dir, 'deepest-ok.json');
    const data = nested(MAX_JSON_DEPTH - 12, 0);
    writeFileSync(
      file,
      JSON.stringify({
        version: 3,
        endpoints: [
          {
            endpoint: '/a',
            backend: [
              {
                host: ['http://127.0.0.1:1'],
                url_pattern: '/',
                extra_config: { proxy: { static: { strategy: 'always', data: { x: JSON.parse(data) } } } },
              },
            ],
          },
        ],
      }),
    );
    const { config } = await loadGatewayConfig(file, { env: {}, lint: true });
    expect(config.endpoints?.length).toBe(1);
  });
});
