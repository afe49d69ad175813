// CPU per event of the event proxy's share of `switchyard run` with the spool and Kafka, in one process:
// the hub's events handed over by HubSource (as in the gateway's event worker), through the pipeline, a
// DiskSpool in a temp dir (frame, write, fdatasync, read back, checkpoint) and the Kafka sink to librdkafka's
// mock cluster (a child process: its CPU is not counted). Each round builds N request/response pairs into
// the hub (not measured: the worker's build share is bench/event-worker-cpu.mjs), then measures the
// process's CPU (every thread: fdatasync runs on libuv's pool) until the proxy confirmed every event. The
// median of the rounds; `--root` takes the built packages of another checkout, so two builds can be compared
// in alternating runs. Allocation shows as the GCs a round ran (count and main-thread pause per event): V8
// gives no count of bytes allocated, and heap deltas mean nothing once a GC ran (Buffers' external memory
// starts one every round).
//   npx turbo run build --filter=@switchyard/cli && node bench/event-proxy-cpu.mjs [--pairs 4500] [--rounds 9]
// (pairs × 2 must stay within the hub's ring, 10,000 events by default; needs `npm run test:setup`'s mock)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startKafkaMock } from './support/kafka-mock.mjs';
import { facts, response } from './support/request-facts.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '4500' },
    rounds: { type: 'string', default: '9' },
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
const pairs = Number(args.pairs);
const rounds = Number(args.rounds);
const root = pathToFileURL(`${resolve(args.root)}/`);

const dist = (p) => new URL(p, root).href;
const { buildRecord } = await import(dist('packages/gateway/dist/events/worker/build.js'));
const { createHandoffBuffer } = await import(dist('packages/gateway/dist/events/handoff/layout.js'));
const { HandoffReader } = await import(dist('packages/gateway/dist/events/handoff/reader.js'));
const { writeRequest, writeResponse } = await import(dist('packages/gateway/dist/events/handoff/records.js'));
const { HandoffWriter } = await import(dist('packages/gateway/dist/events/handoff/writer.js'));
const { EventHub } = await import(dist('packages/gateway/dist/events/hub.js'));
const { HubSource } = await import(dist('apps/cli/dist/wiring/hub-source.js'));
const { createEventProxy } = await import(dist('packages/event-proxy/dist/index.js'));
const { validateEventProxySettings } = await import(dist('packages/config/dist/index.js'));
const { createLogger } = await import(dist('packages/shared/dist/index.js'));

const kafka = await startKafkaMock();
const dir = await mkdtemp(join(tmpdir(), 'event-proxy-cpu-'));
const sab = createHandoffBuffer(64 * 1024 * 1024);
const writer = new HandoffWriter(sab);
const reader = new HandoffReader(sab);
const hub = new EventHub({ nodeId: 'bench-node', retainMs: Number.POSITIVE_INFINITY, idTag: 1 });
const source = new HubSource({ hub });
const settings = validateEventProxySettings({
  listen: '127.0.0.1:0',
  log_level: 'warn',
  filter: {},
  ingest: {},
  target: { type: 'kafka', kafka: { brokers: [kafka.bootstrap], topic: 'bench-proxy-cpu' } },
  batch: {},
  retry: {},
  spool: { enabled: true, dir: join(dir, 'spool') },
  dead_letter: { path: join(dir, 'dead-letters.ndjson') },
});
const proxy = createEventProxy(settings, {
  logger: createLogger({ level: 'warn', destination: process.stderr }),
  sources: [source],
});
await proxy.start();

let gcs = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcs++;
    gcMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

let sent = 0;
async function round() {
  for (let i = 0; i < pairs; i++) {
    const f = facts(sent + i);
    writeRequest(writer, f, 1_700_000_000_000 + i, 8192);
    writeResponse(writer, f, response, 1_700_000_000_001 + i);
  }
  sent += pairs;
  // The hub wakes HubSource, which hands over from the next turn: nothing of the proxy's share ran yet.
  for (let rec = reader.next(); rec; rec = reader.next()) buildRecord(hub, rec.bytes);
  reader.commit({ ...reader.mark, seq: hub.nextSeq, idTime: hub.idTime });
  const gcsBefore = gcs;
  const gcMsBefore = gcMs;
  const start = process.cpuUsage();
  await source.flush(60_000);
  await proxy.flush(60_000);
  const used = process.cpuUsage(start);
  // The observer hears of a GC in a later turn.
  await new Promise((r) => setImmediate(r));
  const events = 2 * pairs;
  return {
    cpu: (used.user + used.system) / events,
    gcs: ((gcs - gcsBefore) * 1000) / events,
    gcUs: ((gcMs - gcMsBefore) * 1000) / events,
  };
}

await round(); // warm-up: connections, JIT, the first segment
const results = [];
for (let r = 0; r < rounds; r++) results.push(await round());
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpu = results.map((r) => r.cpu);
console.log(
  `event proxy (hand-over → spool → kafka): ${median(cpu).toFixed(2)} µs CPU per event (median of ${rounds} rounds of ${2 * pairs} events; ` +
    `all: ${cpu.map((x) => x.toFixed(2)).join(' ')})`,
);
console.log(
  `GC: ${median(results.map((r) => r.gcs)).toFixed(2)} per 1000 events, ` +
    `${median(results.map((r) => r.gcUs)).toFixed(2)} µs main-thread pause per event (medians)`,
);
await source.stop();
await proxy.close();
await kafka.stop();
await rm(dir, { recursive: true, force: true });
