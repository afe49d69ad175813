import { MemoryQueue } from '@switchyard/event-proxy';
import { describe, expect, it } from 'vitest';
import { sampleEvents } from './support/sample-events.js';
import { failureOf } from './support/wait.js';

const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);

describe('MemoryQueue', () => {
  it('hands out batches in order, up to max, and counts depth until acked', async () => {
    const q = new MemoryQueue({ maxEvents: 100, fullPolicy: 'block' });
    const events = sampleEvents(25);
    await q.append(events);
    const a = await q.read(10, 0);
    const b = await q.read(10, 0);
    expect(ids(a?.events ?? [])).toEqual(ids(events.slice(0, 10)));
    expect(ids(b?.events ?? [])).toEqual(ids(events.slice(10, 20)));
    expect(q.depth().events).toBe(25);
    expect(q.depth().bytes).toBe(events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0));
    await expect(q.ack(b as never)).rejects.toMatchObject({ code: 'SWY_INVALID_ARGUMENT' });
    await q.ack(a as never);
    await q.ack(b as never);
    expect(q.depth().events).toBe(5);
  });

  it('waits for a first event, then lingers for a fuller batch', async () => {
    const q = new MemoryQueue({ maxEvents: 100, fullPolicy: 'block' });
    const events = sampleEvents(6);
    const reading = q.read(5, 10_000);
    await q.append(events.slice(0, 2));
    await q.append(events.slice(2, 6));
    // Resolves as soon as max is reached, not after the linger.
    expect(ids((await reading)?.events ?? [])).toEqual(ids(events.slice(0, 5)));
  });

  it('block: refuses with SWY_QUEUE_FULL (retryable) and takes nothing of that batch', async () => {
    const q = new MemoryQueue({ maxEvents: 10, fullPolicy: 'block' });
    await q.append(sampleEvents(8));
    const err = await failureOf(q.append(sampleEvents(3)));
    expect(err).toMatchObject({ code: 'SWY_QUEUE_FULL', retryable: true, status: 503 });
    expect(q.depth().events).toBe(8);
  });

  it('block: an empty queue takes a batch larger than its bound (it could never get in otherwise)', async () => {
    const q = new MemoryQueue({ maxEvents: 5, fullPolicy: 'block' });
    expect(await q.append(sampleEvents(7))).toEqual({ accepted: 7, dropped: 0 });
  });

  it('drop_newest: keeps what fits and drops the rest of the new batch', async () => {
    const q = new MemoryQueue({ maxEvents: 10, fullPolicy: 'drop_newest' });
    const old = sampleEvents(8, 'old');
    const fresh = sampleEvents(5, 'new');
    await q.append(old);
    expect(await q.append(fresh)).toEqual({ accepted: 2, dropped: 3 });
    expect(ids((await q.read(100, 0))?.events ?? [])).toEqual(ids([...old, ...fresh.slice(0, 2)]));
  });

  it('drop_oldest: evicts the oldest waiting events, never those handed to the sink', async () => {
    const q = new MemoryQueue({ maxEvents: 10, fullPolicy: 'drop_oldest' });
    const old = sampleEvents(10, 'old');
    await q.append(old);
    const inFlight = await q.read(4, 0);
    const fresh = sampleEvents(3, 'new');
    expect(await q.append(fresh)).toEqual({ accepted: 3, dropped: 3 });
    expect(ids((await q.read(100, 0))?.events ?? [])).toEqual(ids([...old.slice(7), ...fresh]));
    // With every slot held by in-flight events, only the newest incoming ones fit.
    await q.ack(inFlight as never);
    const q2 = new MemoryQueue({ maxEvents: 4, fullPolicy: 'drop_oldest' });
    await q2.append(sampleEvents(3, 'x'));
    await q2.read(3, 0);
    const more = sampleEvents(3, 'y');
    expect(await q2.append(more)).toEqual({ accepted: 1, dropped: 2 });
  });

  it('close wakes a waiting reader with null', async () => {
    const q = new MemoryQueue({ maxEvents: 10, fullPolicy: 'block' });
    const reading = q.read(10, 0);
    await q.close();
    expect(await reading).toBeNull();
    await expect(q.append(sampleEvents(1))).rejects.toMatchObject({ code: 'SWY_SHUTTING_DOWN' });
  });
});
