import { describe, expect, it } from 'vitest';
import { Inbox } from '../../src/brokers/inbox.js';
import { Scope } from '../../src/pipeline/scope.js';

describe('Inbox', () => {
  it('without a limit holds every message, in order', async () => {
    const inbox = new Inbox<number>();
    for (let i = 0; i < 1000; i++) inbox.push(i);
    expect(inbox.dropped).toBe(0);
    expect(await inbox.take(new Scope())).toBe(0);
    for (let i = 1; i < 999; i++) await inbox.take(new Scope());
    expect(await inbox.take(new Scope())).toBe(999);
  });

  it('with a limit drops the oldest and counts it', async () => {
    const inbox = new Inbox<number>(2);
    for (const i of [1, 2, 3]) inbox.push(i);
    expect(inbox.dropped).toBe(1);
    expect(await inbox.take(new Scope())).toBe(2);
  });

  it('discard forgets the held messages it picks, uncounted; the rest stay in order', async () => {
    const inbox = new Inbox<{ from: string; n: number }>();
    for (const [from, n] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['b', 4],
    ] as const)
      inbox.push({ from, n });
    inbox.discard((m) => m.from === 'a');
    expect(inbox.dropped).toBe(0);
    expect((await inbox.take(new Scope())).n).toBe(2);
    expect((await inbox.take(new Scope())).n).toBe(4);
  });

  it('fail rejects every waiting request; a message after it waits for the next request', async () => {
    const inbox = new Inbox<number>();
    const waiting = [inbox.take(new Scope()), inbox.take(new Scope())];
    inbox.fail(new Error('gone'));
    for (const w of waiting) await expect(w).rejects.toThrow('gone');
    inbox.push(7);
    expect(await inbox.take(new Scope())).toBe(7);
  });

  it('a request whose scope ends stops waiting and does not take the next message', async () => {
    const inbox = new Inbox<number>();
    const scope = new Scope();
    const first = inbox.take(scope);
    scope.abort(new Error('timeout'));
    await expect(first).rejects.toThrow('timeout');
    inbox.push(1);
    expect(await inbox.take(new Scope())).toBe(1);
  });
});
