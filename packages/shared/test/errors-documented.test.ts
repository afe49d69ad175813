import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes, isSwitchyardError, SwitchyardError } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
// Rows look like `| `SWY_X` | 502 | yes | meaning |`, however the table is aligned.
const rows = new Map(
  [...doc.matchAll(/^\|\s*`(SWY_[A-Z0-9_]+)`\s*\|(.*)$/gm)].map((m) => [
    m[1] as string,
    (m[2] ?? '').split('|').map((c) => c.trim()),
  ]),
);
const documented = new Set(rows.keys());

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sourceDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name, 'src')),
);
const sources = sourceDirs
  .flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)))
  .filter((f) => f.endsWith('.ts') && !f.endsWith(join('errors', 'codes.ts')))
  .map((f) => readFileSync(f, 'utf8'));
// Raised: a code as the first argument of a call (`new SwitchyardError('SWY_X', …)`, `backendError('SWY_X', …)`)
// or as an issue's `code: 'SWY_X'`; a code only tested for (`isSwitchyardError(err, 'SWY_X')`) does not count.
const raised = new Set(
  sources.flatMap((text) =>
    [...text.matchAll(/(?:\(\s*|code: )'(SWY_[A-Z0-9_]+)'/g)].map((m) => m[1] as string),
  ),
);

describe('error codes', () => {
  it('documents every code in docs/errors.md', () => {
    const missing = Object.keys(errorCodes).filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const stale = [...documented].filter((c) => !(c in errorCodes));
    expect(stale).toEqual([]);
  });

  it("raises every code somewhere in the packages' sources (one code per failure, none left unused)", () => {
    expect(sources.length).toBeGreaterThan(50);
    const unused = Object.keys(errorCodes).filter((c) => !raised.has(c));
    expect(unused).toEqual([]);
  });

  it('documents each code with the status and retryable flag of the table', () => {
    for (const [code, { status, retryable }] of Object.entries(errorCodes)) {
      const cells = rows.get(code);
      expect(cells?.[0], code).toBe(status === undefined ? '–' : String(status));
      expect(cells?.[1], code).toBe(retryable ? 'yes' : 'no');
    }
  });

  it('recognises an error from another copy of the package by its Symbol.for mark, not instanceof', () => {
    // What a second installed copy of @switchyard/shared throws: another class, the same registered mark.
    const foreign = Object.assign(new Error('timed out'), {
      [Symbol.for('switchyard.error')]: true,
      code: 'SWY_SINK_TIMEOUT',
    });
    expect(foreign instanceof SwitchyardError).toBe(false);
    expect(isSwitchyardError(foreign)).toBe(true);
    expect(isSwitchyardError(foreign, 'SWY_SINK_TIMEOUT')).toBe(true);
    expect(isSwitchyardError(foreign, 'SWY_QUEUE_FULL')).toBe(false);
  });

  it('carries code, status, retryable flag and cause', () => {
    const cause = new Error('boom');
    const err = new SwitchyardError('SWY_INVALID_EVENT', 'bad', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('SWY_INVALID_EVENT');
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.cause).toBe(cause);
    expect(isSwitchyardError(err, 'SWY_INVALID_EVENT')).toBe(true);
    expect(isSwitchyardError(err, 'SWY_ENV_MISSING')).toBe(false);
    expect(isSwitchyardError(new Error('plain'))).toBe(false);
    expect(isSwitchyardError({ code: 'SWY_INVALID_EVENT' })).toBe(false);
    expect(isSwitchyardError(null)).toBe(false);
    expect(
      new SwitchyardError('SWY_INVALID_EVENT', 'x', { retryable: true, status: 503 }).toJSON(),
    ).toMatchObject({
      code: 'SWY_INVALID_EVENT',
      status: 503,
      retryable: true,
    });
  });
});
