import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { quietLogger } from './support/gateway.js';
import { until } from './support/wait.js';

// The event worker's hub holds what its consumer has not taken (2,048 events): reading stops when it is
// full, the hand-off fills, and the writer drops records. Those drops become holes in the numbering when
// the worker reads on, and a hole, however large, must not push out an event the consumer has not taken.

const CONSUMER = fileURLToPath(new URL('./support/held-consumer.mjs', import.meta.url));

let gateway: Gateway | undefined;
let backend: TestBackend | undefined;
afterEach(async () => {
  await gateway?.close();
  await backend?.close();
  gateway = backend = undefined;
});

async function send(port: number, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      request({ agent, port, host: '127.0.0.1', path: `/u/${i}` }, (res) => {
        res.resume().on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: 8 }, (_, k) => one(i + k)));
  agent.destroy();
}

describe('the event worker behind its consumer', () => {
  it('numbers the dropped records as holes without letting go of events not taken yet', async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    gateway = createGateway({
      config: {
        version: 3,
        host: [backend.origin],
        endpoints: [{ endpoint: '/u/{id}', backend: [{ url_pattern: '/' }] }],
        extra_config: {
          'telemetry/events': {
            types: ['request', 'response'],
            handoff_bytes: 65_536,
            health_interval: '1h',
          },
        },
      },
      host: '127.0.0.1',
      port: 0,
      logger: quietLogger(),
      admin: false,
      eventWorker: { consumer: { module: CONSUMER, data: { sab: ctl.buffer } } },
    });
    const { port } = await gateway.listen();
    const worker = gateway.eventWorker;
    if (!worker) throw new Error('no event worker');
    await until(() => worker.health.state === 'running');

    // 2 records a request: the hub fills (up to 2,048 events), then the hand-off, then records are dropped.
    const requests = 2400;
    await send(port, requests);
    // How far it gets before the first burst of drops depends on when the worker got the CPU.
    await until(() => Atomics.load(ctl, 2) > 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(worker.health.dropped).toBeGreaterThan(1000);
    expect(Atomics.load(ctl, 1)).toBe(0);
    // Room for 1,000 more: the worker reads on, up to the drops.
    Atomics.store(ctl, 0, 1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(Atomics.load(ctl, 1)).toBe(0);
    // Everything taken: each record is an event or a hole.
    Atomics.store(ctl, 0, 2 ** 30);
    await until(() => Atomics.load(ctl, 2) === 2 * requests);
    expect(Atomics.load(ctl, 1)).toBe(0);
  }, 60_000);
});
