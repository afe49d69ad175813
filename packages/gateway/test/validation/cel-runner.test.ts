import { createLogger } from '@switchyard/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { Scope } from '../../src/pipeline/scope.js';
import { CelRunner } from '../../src/validation/cel/runner.js';

const list = `[${Array.from({ length: 20 }, (_, i) => i).join(',')}]`;
/** 20^6 steps: runs past any budget. */
const RUNAWAY = `${list}.map(a, ${list}.map(b, ${list}.map(c, ${list}.map(d, ${list}.map(e, ${list}.map(f, a + b + c + d + e + f)))))).size() == 20`;
/** Millions of ever longer strings: more than the evaluator's 64 MB heap holds. */
const HOG = `${list}.map(a, ${list}.map(b, ${list}.map(c, ${list}.map(d, ${list}.map(e, '${'x'.repeat(2000)}' + string(a * b * c * d * e)))))).size() == 20`;
const VARS = { req_method: 'GET' };

describe('CEL runner', () => {
  const logger = createLogger({ level: 'silent' });
  const runners: CelRunner[] = [];
  const runner = (budgetMs: number, maxQueue?: number) => {
    const r = new CelRunner(logger, budgetMs, maxQueue);
    runners.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of runners.splice(0)) r.close();
  });

  it('stops an expression past its budget; the jobs waiting behind it are answered', async () => {
    // Not less: on a busy machine the job after the restart must not be the one stopped.
    const r = runner(50);
    const [runaway, next] = await Promise.all([r.run([RUNAWAY], VARS), r.run(["req_method == 'GET'"], VARS)]);
    expect(runaway).toMatchObject({ failed: 0, stopped: true });
    expect(runaway.reason).toBe('the CEL expressions ran over their 50ms budget');
    expect(next).toMatchObject({ failed: -1 });
  });

  it('stops an expression that allocates without bound at the heap limit; the runner goes on', async () => {
    // A budget no test waits for: only the heap limit can stop this one.
    const r = runner(60_000);
    const hog = await r.run([HOG], VARS);
    expect(hog.stopped).toBe(true);
    expect(hog.reason).toMatch(/memory/i);
    expect(await r.run(["req_method == 'GET'"], VARS)).toMatchObject({ failed: -1 });
  }, 60_000);

  it('refuses a job at once when the queue is full', async () => {
    const r = runner(60_000, 1);
    const head = r.run([RUNAWAY], VARS);
    const refused = await r.run(["req_method == 'GET'"], VARS);
    expect(refused).toMatchObject({ failed: 0, stopped: true });
    expect(refused.reason).toBe('the CEL evaluator is busy (1 requests wait)');
    r.close();
    expect((await head).stopped).toBe(true);
  });

  it('drops a job whose request scope aborts, running or waiting', async () => {
    const r = runner(60_000);
    const a = new Scope();
    const b = new Scope();
    const running = r.run([RUNAWAY], VARS, a);
    const waiting = r.run(["req_method == 'GET'"], VARS, b);
    b.abort(new Error('the client went away'));
    expect(await waiting).toMatchObject({ stopped: true, reason: 'the client went away' });
    a.abort(new Error('the client went away too'));
    expect(await running).toMatchObject({ stopped: true, reason: 'the client went away too' });
    expect(await r.run(["req_method == 'GET'"], VARS)).toMatchObject({ failed: -1 });
  });

  it('never runs a job whose request ended while it waited (its time would be charged to the next job)', async () => {
    const r = runner(1000);
    const a = new Scope();
    const b = new Scope();
    const first = r.run(["req_method == 'GET'"], VARS, a);
    const dropped = r.run([RUNAWAY], VARS, b);
    const next = r.run(["req_method == 'GET'"], VARS);
    b.abort(new Error('the client went away'));
    expect(await dropped).toMatchObject({ stopped: true, reason: 'the client went away' });
    expect(await first).toMatchObject({ failed: -1 });
    expect(await next).toMatchObject({ failed: -1 });
    a.dispose();
  });

  it("gives a job no more than its request's time left", async () => {
    const r = runner(60_000);
    const scope = new Scope(30);
    // Without it this job would run for the runner's 60 s budget, past the test's timeout.
    const v = await r.run([RUNAWAY], VARS, scope);
    scope.dispose();
    expect(v.stopped).toBe(true);
    expect(v.reason).toMatch(
      /^(context deadline exceeded|the CEL expressions ran over their ([0-9]|[12][0-9]|30)ms budget)$/,
    );
  });

  it("never puts an expression's value into the reason (it may be a token)", async () => {
    const r = runner(1000);
    const v = await r.run(["req_method + '-secret-token'", 'false'], VARS);
    expect(v).toMatchObject({ failed: 0, reason: 'the result is not true (string)' });
    expect(JSON.stringify(v)).not.toContain('secret-token');
  });
});
