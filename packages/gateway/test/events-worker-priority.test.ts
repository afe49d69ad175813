import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { GatewayFile } from '@switchyard/config';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { quietLogger } from './support/gateway.js';
import { until } from './support/wait.js';

// The event worker thread runs below the request thread: a nice value, and by default SCHED_IDLE, so it
// takes only the CPU time the requests leave. What /__health reports is checked against the kernel's own
// view of this process's threads.

const SCHED_IDLE = 5;

/** policy and nice of every thread of this process, from /proc. */
function threads(): { policy: number; nice: number }[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ nice: Number(f[16]), policy: Number(f[38]) }];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function started(events: Record<string, unknown> | undefined) {
  const config: GatewayFile = {
    version: 3,
    endpoints: [],
    ...(events && { extra_config: { 'telemetry/events': events } }),
  };
  gateway = createGateway({
    config,
    host: '127.0.0.1',
    port: 0,
    logger: quietLogger(),
    admin: false,
    eventWorker: true,
  });
  await gateway.listen();
  const worker = gateway.eventWorker;
  if (!worker) throw new Error('no event worker');
  await until(() => worker.health.state === 'running');
  return worker.health;
}

describe('the event worker thread', () => {
  it('runs under SCHED_IDLE at nice 5 by default, as the kernel reports', async () => {
    const health = await started(undefined);
    expect(health.priority).toEqual({ nice: 5, idle: true });
    expect(threads()).toContainEqual({ nice: 5, policy: SCHED_IDLE });
  });

  it('runs at the nice value asked for, and under the normal policy with worker_idle false', async () => {
    const before = threads().filter((t) => t.policy === SCHED_IDLE).length;
    const health = await started({ worker_nice: 3, worker_idle: false });
    expect(health.priority).toEqual({ nice: 3, idle: false });
    expect(threads()).toContainEqual({ nice: 3, policy: 0 });
    expect(threads().filter((t) => t.policy === SCHED_IDLE).length).toBe(before);
  });

  it("leaves the libuv pool at the process's priority when the worker is the first to use it", async () => {
    // A new thread inherits its creator's policy and nice value, and the pool (fs, dns, zlib, crypto for
    // every thread) is made by the first thread to use it: here the worker, after lowering itself. A fresh
    // process whose code is loaded synchronously (require), so that nothing started the pool before.
    const priority = new URL('../dist/events/worker/priority.js', import.meta.url).pathname;
    const script = `
      const { Worker } = require('node:worker_threads');
      const { readdirSync, readFileSync } = require('node:fs');
      const w = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        require(\${JSON.stringify(process.argv[1])}).lowerPriority(5, true).then((p) =>
          require('node:fs').readFile(__filename, () => parentPort.postMessage(p)));
      \`, { eval: true });
      w.once('message', async (p) => {
        await w.terminate();
        const lowered = readdirSync('/proc/self/task').filter((tid) => {
          const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return f[16] !== '0' || f[38] !== '0';
        });
        console.log(JSON.stringify({ worker: p, lowered: lowered.length }));
      });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', '-e', script, priority]);
    expect(JSON.parse(stdout)).toEqual({ worker: { nice: 5, idle: true }, lowered: 0 });
  });

  it('reports the nice value alone, and not idle, where chrt is missing', async () => {
    const priority = new URL('../dist/events/worker/priority.js', import.meta.url).pathname;
    const script = `require(process.argv[1]).lowerPriority(5, true).then((p) => console.log(JSON.stringify(p)));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--no-warnings', '-e', script, priority],
      {
        env: { PATH: '/nonexistent' },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ nice: 5, idle: false });
  });
});
