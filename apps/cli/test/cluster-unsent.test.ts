import { setImmediate as tick } from 'node:timers/promises';
import { EventHub } from '@switchyard/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { EventForwarder } from '../src/cluster/forward.js';
import type { FromWorker } from '../src/cluster/messages.js';
import { UnsentEvents } from '../src/cluster/unsent.js';

// A `--workers` worker's events the primary never got: the worker's forwarder counts what it holds back
// (its status's `unsent`), the primary pays it off with each batch that arrives, and a worker that exits
// without saying `stopped` leaves what is left as its loss, counted the same way on both sides.

const hubs: EventHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

const state = (hub: EventHub, n: number) => {
  for (let i = 0; i < n; i++)
    hub.pluginUpdated({
      plugin: 'qos/circuit-breaker',
      scope: `b${i}`,
      change: 'state',
      from: 'closed',
      to: 'open',
    });
};

function worker(ringSize: number) {
  const hub = new EventHub({ settings: { health_interval: '1h', ring_size: ringSize } });
  hubs.push(hub);
  const sent: Extract<FromWorker, { swy: 'events' }>[] = [];
  const held: (() => void)[] = [];
  // The primary reads nothing until the test lets a message out: the forwarder stops at maxUnsent.
  const forwarder = new EventForwarder({
    hub,
    send: (m, done) => {
      if (m.swy === 'events') sent.push(m);
      held.push(done);
    },
    maxBatch: 2,
    maxUnsent: 1,
  });
  forwarder.recording = true;
  return { hub, forwarder, sent, release: () => held.shift()?.() };
}

describe('events a worker had not forwarded', () => {
  it('are counted alike by the worker (backlog) and the primary (owed), and are what a kill loses', async () => {
    const { hub, forwarder, sent, release } = worker(64);
    const primary = new UnsentEvents();
    state(hub, 5);
    hub.pluginUpdated({ plugin: 'security/cors', scope: 'global', change: 'config', from: 1, to: 2 });
    hub.emitHealth(); // node_health and `config` changes are the primary's own: never forwarded, never owed
    hub.lose(2); // a hand-off overflow in the worker: forwarded as a count, owed as 2
    await tick();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.events).toHaveLength(2);
    // 3 state events and 2 lost are held back.
    expect(forwarder.backlog).toBe(5);

    primary.arrived(1, 2); // the first batch reached the primary before the status (IPC keeps order)
    primary.status(1, forwarder.backlog);
    release();
    await tick();
    const second = sent[1] as (typeof sent)[number];
    primary.arrived(1, second.events.length + second.lost);
    expect(forwarder.backlog).toBe(5 - second.events.length - second.lost);
    // Killed now: what it had not sent is its loss, exactly as the worker counts it.
    expect(primary.exited(1)).toBe(forwarder.backlog);
    expect(primary.exited(1)).toBe(0); // forgotten once told
  });

  it('count what the ring dropped before it was read', async () => {
    const { hub, forwarder, sent } = worker(4);
    state(hub, 3);
    await tick();
    expect(sent).toHaveLength(1); // 2 sent, the rest waits
    state(hub, 6); // 9 recorded, the ring keeps the last 4: 3 of the unsent left it
    expect(forwarder.backlog).toBe(7);
  });

  it('are no loss for a worker that said it stopped', () => {
    const primary = new UnsentEvents();
    primary.status(2, 4);
    primary.finished(2);
    expect(primary.exited(2)).toBeUndefined();
    // A worker that never reported owes nothing known, but its exit is still a loss (of unknown size).
    expect(primary.exited(3)).toBe(0);
  });

  it('never go below zero when batches pay off more than the last status announced', () => {
    const primary = new UnsentEvents();
    primary.status(1, 2);
    primary.arrived(1, 5);
    expect(primary.exited(1)).toBe(0);
  });
});
