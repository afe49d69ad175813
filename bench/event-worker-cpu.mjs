// CPU per event of the event worker's path, in one thread (deterministic enough on a loaded machine: CPU
// time, not wall time; the median of the rounds). Each round writes N request/response pairs into a
// hand-off (not measured: that is the request thread's share), then measures what the worker does per
// record in `run` with the spool and Kafka: read and decode the record, build and serialise the envelope
// into the hub's ring, hand it to the event proxy as it does in process, frame it for the spool and
// prepare the Kafka record (key and value). It also prints the two parts apart (building the events from the
// records; handing them to the proxy, framing and keying them) and the garbage collections per 1,000
// events. Uses the built packages (`--root` those of another checkout, to compare two builds):
//   npx turbo run build --filter=@switchyard/cli && node bench/event-worker-cpu.mjs [--pairs 4000] [--rounds 9] [--root DIR]
// (pairs × 2 must stay within the hub's ring, 10,000 events by default)

import { resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { facts, response } from './support/request-facts.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '9' },
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
const pairs = Number(args.pairs);
const rounds = Number(args.rounds);

const dist = (p) => new URL(p, pathToFileURL(`${resolve(args.root)}/`)).href;
const { createHandoffBuffer } = await import(dist('packages/gateway/dist/events/handoff/layout.js'));
const { HandoffReader } = await import(dist('packages/gateway/dist/events/handoff/reader.js'));
const { writeRequest, writeResponse } = await import(dist('packages/gateway/dist/events/handoff/records.js'));
const { HandoffWriter } = await import(dist('packages/gateway/dist/events/handoff/writer.js'));
const { buildRecord } = await import(dist('packages/gateway/dist/events/worker/build.js'));
const { EventHub } = await import(dist('packages/gateway/dist/events/hub.js'));
const { proxyEvent } = await import(dist('apps/cli/dist/wiring/hub-source.js'));
const frameModule = await import(dist('packages/event-proxy/dist/spool/frame.js'));
// The spool frames a write's events into one kept buffer (a build from before that: a buffer per frame).
const frames = Buffer.allocUnsafe(1024 * 1024);
const frame = frameModule.writeFrame
  ? (event, i) => frameModule.writeFrame(frames, 0, frameModule.frameJson(event, i))
  : (event, i) => frameModule.encodeFrame(event, i).length;
const { kafkaMessageKey, kafkaTopic } = await import(dist('packages/event-proxy/dist/sinks/kafka.js'));
const { eventJson } = await import(dist('packages/event-proxy/dist/pipeline/event-json.js'));

const sab = createHandoffBuffer(64 * 1024 * 1024);
const writer = new HandoffWriter(sab);
const reader = new HandoffReader(sab);
const hub = new EventHub({ nodeId: 'bench-node', retainMs: Number.POSITIVE_INFINITY, idTag: 1 });
hub.watch(() => undefined);

// Collections are told asynchronously: each round's measured span is kept, and its collections counted
// once they arrived (by their start time).
const gcStarts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcStarts.push(e.startTime);
}).observe({ entryTypes: ['gc'] });

const cpu = (used) => used.user + used.system;
let sink = 0;
/** One round's µs CPU per event: in all, building, handing on; and its garbage collections. */
function round() {
  for (let i = 0; i < pairs; i++) {
    const f = facts(i);
    writeRequest(writer, f, 1_700_000_000_000 + i, 8192);
    writeResponse(writer, f, response, 1_700_000_000_001 + i);
  }
  const from = hub.nextSeq;
  const span = { from: performance.now(), to: 0 };
  const start = process.cpuUsage();
  for (let rec = reader.next(); rec; rec = reader.next()) buildRecord(hub, rec.bytes);
  const built = process.cpuUsage(start);
  let i = 0;
  for (let seq = from; seq < hub.nextSeq; seq++) {
    const event = proxyEvent(hub.entry(seq));
    sink += frame(event, i++);
    sink += kafkaMessageKey(event).length + kafkaTopic('events', event).length + eventJson(event).length;
  }
  const used = process.cpuUsage(start);
  span.to = performance.now();
  reader.commit({ ...reader.mark, seq: hub.nextSeq, idTime: hub.idTime });
  const events = 2 * pairs;
  return {
    all: cpu(used) / events,
    build: cpu(built) / events,
    handOn: (cpu(used) - cpu(built)) / events,
    span,
  };
}

round(); // warm-up
const results = [];
for (let r = 0; r < rounds; r++) {
  results.push(round());
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await new Promise((resolve) => setTimeout(resolve, 10));
const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
const all = results.map((r) => r.all).sort((a, b) => a - b);
console.log(
  `event worker: ${median('all').toFixed(2)} µs CPU per event (median of ${rounds} rounds of ${2 * pairs} events; ` +
    `all: ${all.map((x) => x.toFixed(2)).join(' ')})${sink < 0 ? '' : ''}`,
);
const inSpans = gcStarts.filter((t) => results.some(({ span }) => t >= span.from && t <= span.to)).length;
const gcPer1000 = (1000 * inSpans) / (rounds * 2 * pairs);
console.log(
  `  of which building ${median('build').toFixed(2)} µs, handing on (proxy event, spool frame, Kafka key) ` +
    `${median('handOn').toFixed(2)} µs (medians); ${gcPer1000.toFixed(2)} GCs per 1,000 events`,
);
