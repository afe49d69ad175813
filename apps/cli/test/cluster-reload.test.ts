import { EventEmitter } from 'node:events';
import type { GatewayFile } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';
import type { ToWorker } from '../src/cluster/messages.js';
import { ClusterReload, type ReloadWorker, type StartTimer } from '../src/cluster/reload.js';

// The primary's side of an all-or-nothing reload, with workers that answer when the test says so and a
// clock that moves only when the test says so: the decision follows the answers, never a fixed wait.

class FakeWorker extends EventEmitter implements ReloadWorker {
  readonly sent: ToWorker[] = [];
  connected = true;
  constructor(readonly id: number) {
    super();
  }
  send(message: ToWorker): boolean {
    this.sent.push(message);
    return true;
  }
  isConnected(): boolean {
    return this.connected;
  }
  /** The id of the last `prepare` this worker was sent. */
  get prepareId(): number {
    const m = this.sent.findLast((s) => s.swy === 'prepare');
    if (m?.swy !== 'prepare') throw new Error(`worker ${this.id} was not asked to prepare`);
    return m.id;
  }
  get settles(): ToWorker[] {
    return this.sent.filter((s) => s.swy === 'settle');
  }
  exit(): void {
    this.connected = false;
    this.emit('exit', 1, null);
  }
}

/** A timer that fires only through `fire`; `armed` tells whether one is running. */
function manualClock() {
  const timers = new Set<{ fire: () => void; ms: number }>();
  const timer: StartTimer = (fire, ms) => {
    const t = { fire, ms };
    timers.add(t);
    return () => timers.delete(t);
  };
  return {
    timer,
    get armed() {
      return [...timers].map((t) => t.ms);
    },
    fire() {
      for (const t of [...timers]) {
        timers.delete(t);
        t.fire();
      }
    },
  };
}

const file = (endpoint: string): GatewayFile => ({ version: 3, endpoints: [{ endpoint }] }) as GatewayFile;
const OLD = file('/old');
const NEW = file('/new');

function setup(count = 2, timeoutMs = 5000) {
  const workers = Array.from({ length: count }, (_, i) => new FakeWorker(i + 1));
  const clock = manualClock();
  const reload = new ClusterReload({ workers: () => workers, config: OLD, timer: clock.timer, timeoutMs });
  const confirm = (w: FakeWorker, error?: string) =>
    reload.onMessage(w as never, { swy: 'prepared', id: w.prepareId, ...(error !== undefined && { error }) });
  return { workers, clock, reload, confirm };
}

/** Whether `p` settled by now (after pending microtasks ran). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('ClusterReload', () => {
  it('commits the moment the last worker confirmed, without waiting for the timeout', async () => {
    const { workers, clock, reload, confirm } = setup();
    const [a, b] = workers as [FakeWorker, FakeWorker];
    const applied = reload.apply(NEW);
    await settled(applied);
    expect(a.sent).toEqual([{ swy: 'prepare', id: a.prepareId, config: NEW }]);
    expect(clock.armed).toEqual([5000]);
    confirm(a);
    expect(await settled(applied)).toBe(false);
    expect(reload.config).toBe(OLD);
    confirm(b);
    await applied;
    for (const w of workers) expect(w.settles).toEqual([{ swy: 'settle', id: w.prepareId, commit: true }]);
    expect(reload.config).toBe(NEW);
    // The timeout was cancelled, not waited out.
    expect(clock.armed).toEqual([]);
  });

  it('rolls every worker back the moment one refuses', async () => {
    const { workers, clock, reload, confirm } = setup(3);
    const [a, b, c] = workers as [FakeWorker, FakeWorker, FakeWorker];
    const applied = reload.apply(NEW);
    await settled(applied);
    confirm(a);
    confirm(b, 'cannot build /new');
    const err = await applied.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ code: 'SWY_RELOAD_ABORTED' });
    expect((err as Error).message).toContain('worker 2 refused it: cannot build /new');
    // c never answered: it is told to drop the file too.
    for (const w of [a, b, c]) expect(w.settles).toEqual([{ swy: 'settle', id: w.prepareId, commit: false }]);
    expect(reload.config).toBe(OLD);
    expect(clock.armed).toEqual([]);
  });

  it('rolls back when a worker exits while preparing, even one that had confirmed', async () => {
    const { workers, reload, confirm } = setup();
    const [a, b] = workers as [FakeWorker, FakeWorker];
    const applied = reload.apply(NEW);
    await settled(applied);
    confirm(a);
    a.exit();
    await expect(applied).rejects.toThrow(/worker 1 exited while preparing/);
    // The dead one is not written to; the other drops the file.
    expect(a.settles).toEqual([]);
    expect(b.settles).toEqual([{ swy: 'settle', id: b.prepareId, commit: false }]);
    expect(reload.config).toBe(OLD);
  });

  it('rolls back a worker that stays silent once the (injected) timeout fires', async () => {
    const { workers, clock, reload, confirm } = setup(2, 750);
    const [a, b] = workers as [FakeWorker, FakeWorker];
    const applied = reload.apply(NEW);
    await settled(applied);
    confirm(a);
    expect(await settled(applied)).toBe(false);
    expect(clock.armed).toEqual([750]);
    clock.fire();
    await expect(applied).rejects.toThrow(/worker 2 did not confirm within 750 ms/);
    for (const w of [a, b]) expect(w.settles).toEqual([{ swy: 'settle', id: w.prepareId, commit: false }]);
  });

  it('holds back a worker starting during a reload until it is decided, then starts it on the file in force', async () => {
    const { workers, reload, confirm } = setup();
    const [a, b] = workers as [FakeWorker, FakeWorker];
    const startedOn: GatewayFile[] = [];
    const start = () => startedOn.push(reload.config);

    // Idle: at once.
    reload.whenSettled(start);
    expect(startedOn).toEqual([OLD]);

    // A rolled-back reload: the newcomer starts on the old file, after the decision.
    expect(reload.deciding).toBe(false);
    const refused = reload.apply(NEW);
    await settled(refused);
    expect(reload.deciding).toBe(true);
    reload.whenSettled(start);
    expect(startedOn).toEqual([OLD]);
    confirm(a, 'no');
    await expect(refused).rejects.toThrow(/SWY_RELOAD_ABORTED|refused/);
    expect(startedOn).toEqual([OLD, OLD]);

    // A committed reload: the newcomer starts on the new file, after the commit was sent to the others.
    const applied = reload.apply(NEW);
    await settled(applied);
    reload.whenSettled(() => {
      expect(b.settles.at(-1)).toMatchObject({ commit: true });
      start();
    });
    confirm(a);
    expect(startedOn).toHaveLength(2);
    confirm(b);
    await applied;
    expect(startedOn).toEqual([OLD, OLD, NEW]);
  });

  it('decides one file at a time: a second waits for the first', async () => {
    const { workers, reload, confirm } = setup(1);
    const [a] = workers as [FakeWorker];
    const first = reload.apply(NEW);
    const second = reload.apply(file('/newer'));
    await settled(first);
    expect(a.sent.filter((s) => s.swy === 'prepare')).toHaveLength(1);
    confirm(a, 'bad');
    await expect(first).rejects.toThrow(/refused/);
    await settled(second);
    expect(a.sent.filter((s) => s.swy === 'prepare')).toHaveLength(2);
    confirm(a);
    await second;
    expect(reload.config.endpoints?.[0]?.endpoint).toBe('/newer');
  });
});
