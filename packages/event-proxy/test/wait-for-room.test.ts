import { acceptWhenRoom, type IntakeResult, type SourceContext } from '@switchyard/event-proxy';
import { createLogger, SwitchyardError } from '@switchyard/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sampleEvents } from './support/sample-events.js';

const full = () =>
  new SwitchyardError('SWY_QUEUE_FULL', 'the event queue is full', { details: { retryAfterMs: 600_000 } });
const taken: IntakeResult = { accepted: 1, filtered: 0, dropped: 0 };

/** A source context whose queue refuses `refusals` times, then takes; `settle()` says the sink settled a batch. */
function context(refusals: number) {
  let settled: ((events: never[]) => void) | undefined;
  let calls = 0;
  const ctx: SourceContext = {
    accept: async () => {
      calls++;
      if (calls <= refusals) throw full();
      return taken;
    },
    onSettled: (listener) => {
      settled = listener;
    },
    logger: createLogger({ level: 'silent' }),
    registry: new Registry(),
  };
  return { ctx, settle: () => settled?.([]), calls: () => calls };
}

describe('acceptWhenRoom (backpressure for pulling sources)', () => {
  it('tries a refused batch again as soon as the sink settles one, not after the suggested delay', async () => {
    const { ctx, settle, calls } = context(1);
    const accept = acceptWhenRoom(ctx, new AbortController().signal);
    // Settles while nobody waits change nothing.
    settle();
    settle();
    const result = accept(sampleEvents(1));
    await expect.poll(calls).toBe(1);
    settle();
    // The suggested delay is ten minutes: only the settle can have ended the wait.
    await expect(result).resolves.toEqual(taken);
    expect(calls()).toBe(2);
  });

  it('waits again after each refusal, and each settle wakes the batch waiting then', async () => {
    const { ctx, settle, calls } = context(2);
    const accept = acceptWhenRoom(ctx, new AbortController().signal);
    const result = accept(sampleEvents(1));
    await expect.poll(calls).toBe(1);
    settle();
    await expect.poll(calls).toBe(2);
    settle();
    await expect(result).resolves.toEqual(taken);
  });

  it('gives up with the refusal once the source stops', async () => {
    const { ctx, calls } = context(Number.POSITIVE_INFINITY);
    const stop = new AbortController();
    const result = acceptWhenRoom(ctx, stop.signal)(sampleEvents(1));
    await expect.poll(calls).toBe(1);
    stop.abort();
    await expect(result).rejects.toMatchObject({ code: 'SWY_QUEUE_FULL' });
  });
});
