import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  backoffDelay,
  createEventProxy,
  type EventProxy,
  type SendResult,
  type Sink,
} from '@switchyard/event-proxy';
import { createLogger, type Envelope, SwitchyardError } from '@switchyard/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_LISTED_PROBLEMS } from '../src/sources/validate.js';
import { proxySettings, tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';
import { failureOf } from './support/wait.js';

const tmp = tempDir('delivery');
const logger = createLogger({ level: 'silent' });
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 500 });
  proxy = undefined;
});
afterAll(() => tmp.cleanup());

type Step = (batch: readonly Envelope[]) => SendResult | Error;

/** A sink of the test's own (the `sink` option): each send takes the next scripted step, then succeeds. */
class ScriptedSink implements Sink {
  readonly name = 'scripted';
  readonly delivered: Envelope[] = [];
  sends = 0;
  starts = 0;
  constructor(
    private readonly steps: Step[] = [],
    private readonly startFailures = 0,
  ) {}
  async start(): Promise<void> {
    if (this.starts++ < this.startFailures) throw new SwitchyardError('SWY_SINK_UNAVAILABLE', 'not yet');
  }
  async send(batch: readonly Envelope[]): Promise<SendResult> {
    const step = this.steps[this.sends++];
    const outcome = step ? step(batch) : { rejected: [] };
    if (outcome instanceof Error) throw outcome;
    const rejected = new Set(outcome.rejected.map((r) => r.event));
    this.delivered.push(...batch.filter((e) => !rejected.has(e)));
    return outcome;
  }
  ready(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

async function start(sink: Sink, name: string, extra: Record<string, unknown> = {}) {
  const settings = proxySettings(tmp.dir, {
    target: { type: 'http', http: { url: 'http://127.0.0.1:9' } as never },
    dead_letter: { path: join(tmp.dir, `${name}.ndjson`) },
    ...extra,
  });
  proxy = createEventProxy(settings, { logger, sink });
  await proxy.start();
  return proxy;
}

const deadLetters = (name: string) =>
  readFileSync(join(tmp.dir, `${name}.ndjson`), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('backoff', () => {
  const opts = { initialMs: 100, maxMs: 5000 };
  it('grows exponentially to the ceiling, with full jitter below it', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, opts, undefined, () => 0.999999))).toEqual([
      99, 199, 399, 799, 4999,
    ]);
    expect(backoffDelay(3, opts, undefined, () => 0)).toBe(0);
  });
  it("takes the target's Retry-After as a floor, capped by the ceiling", () => {
    expect(backoffDelay(0, opts, 2000, () => 0.5)).toBe(2000);
    expect(backoffDelay(0, opts, 60_000, () => 0.5)).toBe(5000);
    expect(backoffDelay(6, opts, 10, () => 0.5)).toBe(2500);
  });
});

describe('delivery loop', () => {
  it('keeps a batch through retryable failures (including unexpected errors) and delivers in order', async () => {
    const sink = new ScriptedSink([
      () => new SwitchyardError('SWY_SINK_UNAVAILABLE', 'down'),
      () => new SwitchyardError('SWY_SINK_TIMEOUT', 'slow', { details: { retryAfterMs: 5 } }),
      () => new TypeError('socket hang up'),
    ]);
    const p = await start(sink, 'order');
    const sent = sampleEvents(120);
    await p.publish(sent);
    await p.flush(10_000);
    expect(sink.delivered).toEqual(sent);
    expect(sink.sends).toBeGreaterThanOrEqual(6);
  });

  it('dead-letters the events a sink rejects one by one, and delivers the rest', async () => {
    const sink = new ScriptedSink([
      (batch) => ({
        rejected: batch.filter((_e, i) => i % 3 === 0).map((event) => ({ event, reason: 'too large' })),
      }),
    ]);
    const p = await start(sink, 'per-event', { batch: { max_events: 9 } });
    const sent = sampleEvents(9);
    await p.publish(sent);
    await p.flush(10_000);
    const letters = deadLetters('per-event');
    expect(letters.map((l) => l.event)).toEqual([sent[0], sent[3], sent[6]]);
    expect(letters.every((l) => l.sink === 'scripted' && l.reason === 'too large')).toBe(true);
    expect(sink.delivered).toEqual(sent.filter((_e, i) => i % 3 !== 0));
  });

  it('dead-letters a whole batch on a permanent failure, with the code and message', async () => {
    const sink = new ScriptedSink([() => new SwitchyardError('SWY_SINK_REJECTED', 'schema mismatch')]);
    const p = await start(sink, 'permanent', { batch: { max_events: 500, linger_ms: 50 } });
    const sent = sampleEvents(12);
    await p.publish(sent);
    await p.flush(10_000);
    const letters = deadLetters('permanent');
    expect(letters.map((l) => l.event)).toEqual(sent);
    expect(letters[0].reason).toBe('SWY_SINK_REJECTED: schema mismatch');
  });

  it('retries a sink that fails to start, then delivers', async () => {
    const sink = new ScriptedSink([], 3);
    const p = await start(sink, 'start');
    const sent = sampleEvents(5);
    await p.publish(sent);
    await p.flush(10_000);
    expect(sink.starts).toBe(4);
    expect(sink.delivered).toEqual(sent);
  });

  it('close drains what is queued within the deadline', async () => {
    const sink = new ScriptedSink([
      () => new SwitchyardError('SWY_SINK_UNAVAILABLE', 'blip'),
      () => new SwitchyardError('SWY_SINK_UNAVAILABLE', 'blip'),
    ]);
    const p = await start(sink, 'drain');
    const sent = sampleEvents(200);
    await p.publish(sent);
    await p.close({ deadlineMs: 10_000 });
    proxy = undefined;
    expect(sink.delivered).toEqual(sent);
  });

  it('close gives up at the deadline when the sink stays down, counting what the memory queue loses', async () => {
    const down = () => new SwitchyardError('SWY_SINK_UNAVAILABLE', 'down');
    const sink = new ScriptedSink(Array.from({ length: 10_000 }, () => down));
    const p = await start(sink, 'deadline');
    await p.publish(sampleEvents(30));
    await p.close({ deadlineMs: 200 });
    proxy = undefined;
    const dropped = await p.metrics.registry.getSingleMetric('switchyard_events_dropped_total')?.get();
    expect(dropped?.values).toEqual([{ labels: { reason: 'shutdown' }, value: 30 }]);
    await expect(p.publish(sampleEvents(1))).rejects.toMatchObject({ code: 'SWY_SHUTTING_DOWN' });
  });
});

describe('publish (in-process source)', () => {
  it('rejects invalid events with every problem and takes none of the call', async () => {
    const sink = new ScriptedSink();
    const p = await start(sink, 'publish');
    const [good, bad] = sampleEvents(2);
    const broken = { ...bad, timestamp: Date.now(), data: { ...bad?.data, status: 'fine' } } as never;
    const err = await failureOf(p.publish([good as Envelope, broken]));
    expect(err).toMatchObject({ code: 'SWY_INVALID_EVENT' });
    const problems = (err as SwitchyardError).details?.problems as Array<{ index: number; pointer: string }>;
    expect(problems.map((x) => [x.index, x.pointer])).toEqual([
      [1, '/timestamp'],
      [1, '/data/status'],
    ]);
    expect((err as Error).message).toContain('[1]/timestamp must be Unix seconds');
    expect(await p.publish(good as Envelope)).toEqual({ accepted: 1, filtered: 0, dropped: 0 });
    await p.flush(10_000);
    expect(sink.delivered).toEqual([good]);
  });

  it('many invalid events: the error lists the first MAX_LISTED_PROBLEMS (as ingest does) and counts all', async () => {
    const p = await start(new ScriptedSink(), 'publish-many');
    const broken = sampleEvents(500).map((e) => ({ ...e, timestamp: -1 }) as never);
    const err = (await failureOf(p.publish(broken))) as SwitchyardError;
    expect(err).toMatchObject({ code: 'SWY_INVALID_EVENT', details: { problems_total: 500 } });
    expect(err.details?.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(err.message).toMatch(/^500 of 500 events are invalid, none was taken: \[0\]\/timestamp /);
    expect(err.message.length).toBeLessThan(1024);
  });
});
