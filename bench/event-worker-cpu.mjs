// CPU per event of the event worker's path, in one thread (deterministic enough on a loaded machine: CPU
// time, not wall time; the median of the rounds). Each round writes N request/response pairs into a
// hand-off (not measured: that is the request thread's share), then measures what the worker does per
// record in `run` with the spool and Kafka: read and decode the record, build and serialise the envelope
// into the hub's ring, hand it to the event proxy as it does in process, frame it for the spool and
// prepare the Kafka record (key and value). Uses the built packages:
//   npx turbo run build --filter=@switchyard/cli && node bench/event-worker-cpu.mjs [--pairs 4000] [--rounds 9]
// (pairs × 2 must stay within the hub's ring, 10,000 events by default)
import { parseArgs } from 'node:util';
import { facts, response } from './support/request-facts.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '9' },
  },
});
const pairs = Number(args.pairs);
const rounds = Number(args.rounds);

const dist = (p) => new URL(`../${p}`, import.meta.url).href;
const { createHandoffBuffer } = await import(dist('packages/gateway/dist/events/handoff/layout.js'));
const { HandoffReader } = await import(dist('packages/gateway/dist/events/handoff/reader.js'));
const { writeRequest, writeResponse } = await import(dist('packages/gateway/dist/events/handoff/records.js'));
const { HandoffWriter } = await import(dist('packages/gateway/dist/events/handoff/writer.js'));
const { buildRecord } = await import(dist('packages/gateway/dist/events/worker/build.js'));
const { EventHub } = await import(dist('packages/gateway/dist/events/hub.js'));
const { proxyEvent } = await import(dist('apps/cli/dist/wiring/hub-source.js'));
const { encodeFrame } = await import(dist('packages/event-proxy/dist/spool/frame.js'));
const { kafkaMessageKey, kafkaTopic } = await import(dist('packages/event-proxy/dist/sinks/kafka.js'));
const { eventJson } = await import(dist('packages/event-proxy/dist/pipeline/event-json.js'));

const sab = createHandoffBuffer(64 * 1024 * 1024);
const writer = new HandoffWriter(sab);
const reader = new HandoffReader(sab);
const hub = new EventHub({ nodeId: 'bench-node', retainMs: Number.POSITIVE_INFINITY, idTag: 1 });
hub.watch(() => undefined);

let sink = 0;
function round() {
  for (let i = 0; i < pairs; i++) {
    const f = facts(i);
    writeRequest(writer, f, 1_700_000_000_000 + i, 8192);
    writeResponse(writer, f, response, 1_700_000_000_001 + i);
  }
  const from = hub.nextSeq;
  const start = process.cpuUsage();
  for (let rec = reader.next(); rec; rec = reader.next()) buildRecord(hub, rec.bytes);
  let i = 0;
  for (let seq = from; seq < hub.nextSeq; seq++) {
    const event = proxyEvent(hub.entry(seq));
    sink += encodeFrame(event, i++).length;
    sink += kafkaMessageKey(event).length + kafkaTopic('events', event).length + eventJson(event).length;
  }
  const used = process.cpuUsage(start);
  reader.commit({ ...reader.mark, seq: hub.nextSeq, idTime: hub.idTime });
  return (used.user + used.system) / (2 * pairs);
}

round(); // warm-up
const results = [];
for (let r = 0; r < rounds; r++) results.push(round());
results.sort((a, b) => a - b);
const median = results[Math.floor(results.length / 2)];
console.log(
  `event worker: ${median.toFixed(2)} µs CPU per event (median of ${rounds} rounds of ${2 * pairs} events; ` +
    `all: ${results.map((x) => x.toFixed(2)).join(' ')})${sink < 0 ? '' : ''}`,
);
