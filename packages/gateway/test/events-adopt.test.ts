import { type Envelope, envelopeProblems } from '@switchyard/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, type GapInfo } from '../src/events/index.js';

// The node hub of `--workers`: it adopts events other hubs (the workers') built, under its own numbering.
const hubs: EventHub[] = [];
const newHub = (...args: ConstructorParameters<typeof EventHub>) => {
  const hub = new EventHub(...args);
  hubs.push(hub);
  return hub;
};
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

/** `count` plugin_updated events built by a worker's hub, as the worker forwards them: type and text. */
function built(worker: EventHub, count: number, tag: string) {
  const from = worker.nextSeq;
  for (let i = 0; i < count; i++) worker.emitPluginUpdated(tag, 'scope', 'config', i, i + 1);
  return Array.from({ length: count }, (_, i) => {
    const stored = worker.entry(from + i);
    if (!stored) throw new Error('not retained');
    return { type: stored.type, json: stored.json };
  });
}

describe('EventHub.adopt', () => {
  it('numbers adopted events from its own counter: unique ids in the text and the frame, data kept', () => {
    const [w1, w2] = [newHub({ nodeId: 'n1' }), newHub({ nodeId: 'n1' })];
    const keep = [w1.subscribe(() => undefined), w2.subscribe(() => undefined)];
    const node = newHub({ nodeId: 'n1' });
    const seen: Envelope[] = [];
    node.subscribe((e) => seen.push(e));
    const a = built(w1, 3, 'one');
    const b = built(w2, 3, 'two');
    // Both workers number from 0: their own ids would collide in sequence; the node's never do.
    node.adopt(a.slice(0, 2));
    node.adopt(b);
    node.adopt(a.slice(2));
    expect(seen.map((e) => (e.data as { plugin: string }).plugin)).toEqual([
      'one',
      'one',
      'two',
      'two',
      'two',
      'one',
    ]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);
    expect([...seen.map((e) => e.id)].sort()).toEqual(seen.map((e) => e.id));
    for (const [i, e] of seen.entries()) {
      expect(envelopeProblems(e)).toEqual([]);
      expect(node.entry(i)?.id).toBe(e.id);
      expect(node.entry(i)?.frame).toContain(`id: ${e.id}\n`);
    }
    for (const k of keep) k();
  });

  it('turns a lost count into an exact gap, and resumes after an adopted id', () => {
    const worker = newHub();
    worker.subscribe(() => undefined);
    const node = newHub();
    const first: Envelope[] = [];
    const gaps: GapInfo[] = [];
    node.subscribe((e) => first.push(e), { onGap: (g) => gaps.push(g) });
    node.adopt(built(worker, 2, 'p'));
    node.adopt(built(worker, 2, 'p'), 5);
    expect(gaps).toEqual([{ missed: 5, from: null, oldest: null, exact: true }]);
    expect(first).toHaveLength(4);
    const resumed: Envelope[] = [];
    node.subscribe((e) => resumed.push(e), { afterId: first[0]?.id as string, onGap: (g) => gaps.push(g) });
    // The replay reports the hole of the lost events in place, one missed position each.
    expect(resumed.map((e) => e.id)).toEqual(first.slice(1).map((e) => e.id));
    expect(gaps.slice(1).reduce((n, g) => n + g.missed, 0)).toBe(5);
  });

  it('writes its id over one that does not lead the text', () => {
    const node = newHub();
    const seen: Envelope[] = [];
    node.subscribe((e) => seen.push(e));
    const envelope = { event_type: 'plugin_updated', id: 'X', timestamp: 1, kong_node_id: 'n', data: {} };
    node.adopt([{ type: 'plugin_updated', json: JSON.stringify(envelope) }]);
    expect(seen[0]?.id).toBe(node.entry(0)?.id);
    expect(seen[0]?.id).not.toBe('X');
  });
});
