import { readFileSync } from 'node:fs';
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

describe('error codes', () => {
  it('documents every code in docs/errors.md', () => {
    const missing = Object.keys(errorCodes).filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const stale = [...documented].filter((c) => !(c in errorCodes));
    expect(stale).toEqual([]);
  });

  it('documents each code with the status and retryable flag of the table', () => {
    for (const [code, { status, retryable }] of Object.entries(errorCodes)) {
      const cells = rows.get(code);
      expect(cells?.[0], code).toBe(status === undefined ? '–' : String(status));
      expect(cells?.[1], code).toBe(retryable ? 'yes' : 'no');
    }
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
    expect(
      new SwitchyardError('SWY_INVALID_EVENT', 'x', { retryable: true, status: 503 }).toJSON(),
    ).toMatchObject({
      code: 'SWY_INVALID_EVENT',
      status: 503,
      retryable: true,
    });
  });
});
