import { createLogger } from '@switchyard/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { SchemaRunner } from '../../src/validation/json-schema/runner.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const UNIQUE = JSON.stringify({ type: 'array', uniqueItems: true });
const STRINGS = JSON.stringify({ type: 'array', items: { type: 'string' } });
/** ajv compares object items pairwise: ~10^10 comparisons, far past any budget. */
const HOSTILE = bytes(JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ n: i }))));

describe('JSON Schema runner', () => {
  const logger = createLogger({ level: 'silent' });
  const runners: SchemaRunner[] = [];
  const runner = (budgetMs: number, msPerMib: number, maxQueue?: number) => {
    const r = new SchemaRunner(logger, budgetMs, msPerMib, maxQueue);
    runners.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of runners.splice(0)) r.close();
  });

  it("does not count compiling the schema (after each start) against a body's budget", async () => {
    // ajv takes well over 60ms to compile a schema with its formats (~150ms): that alone would stop the job.
    const r = runner(60, 0);
    const body = bytes(JSON.stringify(Array.from({ length: 50 }, (_, i) => String(i))));
    expect(await r.check(STRINGS, body)).toEqual({ ok: true, value: { valid: true } });
    expect(await r.check(UNIQUE, bytes('[1,2,1]'))).toMatchObject({ ok: true, value: { valid: false } });
  });

  it('gives a body its budget plus time per MiB; past it the thread is stopped, the next body is answered', async () => {
    const r = runner(50, 10);
    const [stopped, next] = await Promise.all([r.check(UNIQUE, HOSTILE), r.check(UNIQUE, bytes('[1,2]'))]);
    // 50ms + 10ms for each MiB of the hostile body (~1.2 MiB).
    const budget = 50 + Math.ceil((HOSTILE.byteLength / 1048576) * 10);
    expect(budget).toBeGreaterThan(50);
    expect(stopped).toEqual({ ok: false, reason: `the validation ran over its ${budget}ms budget` });
    expect(next).toEqual({ ok: true, value: { valid: true } });
  });

  it('stops a body whose violations outgrow the thread heap; the runner goes on', async () => {
    // ~4M violations, each an ajv error object and a line of text: more than the 256 MB heap holds.
    const many = bytes(`[${'1,'.repeat(4_000_000)}1]`);
    const r = runner(120_000, 0);
    const hog = await r.check(STRINGS, many);
    expect(hog.ok).toBe(false);
    expect(hog.ok ? '' : hog.reason).toMatch(/memory/i);
    expect(await r.check(STRINGS, bytes('["a"]'))).toEqual({ ok: true, value: { valid: true } });
  }, 120_000);

  it('refuses a body at once when the queue is full', async () => {
    const r = runner(60_000, 0, 1);
    const head = r.check(UNIQUE, HOSTILE);
    expect(await r.check(UNIQUE, bytes('[1]'))).toEqual({
      ok: false,
      reason: 'the validator is busy (1 requests wait)',
      busy: true,
    });
    r.close();
    expect(await head).toEqual({ ok: false, reason: 'the gateway is closing' });
  });
});
