// The request thread's CPU per request for recording event facts, in one thread (CPU time, the median of
// rounds). Each round runs N requests through the real request-side code: an Exchange begun on a route,
// one backend call traced, finished; with events on its recorder writes the request and response records
// into a hand-off (the worker's reading is not measured: the ring is drained between rounds). Off and on
// rounds alternate, so both see the same machine; `records` times writeRequest + writeResponse alone.
// With --baseline (a checkout whose packages/gateway is built) its code runs in the same rounds, in turn
// with this one's. Uses the built packages:
//   npx turbo run build --filter=@switchyard/gateway && node bench/event-record-cpu.mjs [--requests 4000]
//   [--rounds 15] [--baseline DIR]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { facts, response } from './support/request-facts.mjs';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '15' },
    baseline: { type: 'string' },
  },
});
const n = Number(args.requests);
const rounds = Number(args.rounds);

const all = Array.from({ length: n }, (_, i) => {
  const f = facts(i);
  return { f, req: { method: f.method, headers: f.headers, rawHeaders: [] } };
});
const res = {};
const call = response.backends[0];
const logger = { isLevelEnabled: () => false, child: () => logger, error() {}, debug() {} };
// Metrics on, as with the admin listener (bench:gateway): the backend trace is kept either way.
const metrics = { backends: true, requestFinished() {} };

/** The request thread's recording code of the gateway package under `root`, set up as `switchyard run` does. */
async function subject(root) {
  const dist = (p) => new URL(`packages/gateway/dist/${p}`, root).href;
  const { createHandoffBuffer } = await import(dist('events/handoff/layout.js'));
  const { HandoffReader } = await import(dist('events/handoff/reader.js'));
  const { writeRequest, writeResponse } = await import(dist('events/handoff/records.js'));
  const { HandoffWriter } = await import(dist('events/handoff/writer.js'));
  const { HandoffRecorder } = await import(dist('events/worker/recorder.js'));
  const { EventHub } = await import(dist('events/hub.js'));
  const { Exchange } = await import(dist('request/exchange.js'));

  const sab = createHandoffBuffer(32 * 1024 * 1024);
  const writer = new HandoffWriter(sab);
  const reader = new HandoffReader(sab);
  const hub = new EventHub({ nodeId: 'bench-node' });
  // The worker's consumer (the event proxy) keeps every type; the hub has no subscriber.
  const recorder = new HandoffRecorder(writer, hub, new Set(hub.settings.types));
  const runtime = (rec) => ({
    logger,
    observer: undefined,
    userObserver: undefined,
    recorder: rec,
    recordHealthChecks: false,
    metrics,
    closing: false,
    requestDone() {},
  });
  const rtOff = runtime(undefined);
  const rtOn = runtime(recorder);

  function drain() {
    while (reader.next());
    reader.commit({ ...reader.mark, seq: 0, idTime: 0 });
  }

  function exchanges(rt) {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const { f, req } = all[i];
      const x = new Exchange(req, res, f.path, f.query, f.client_ip, rt);
      x.begin(f.endpoint);
      x.trace?.push({ url: call.url, method: call.method, status: call.status, latency_ms: call.latency_ms });
      x.finished(response.status, response.bytes, true);
    }
    const used = process.cpuUsage(start);
    drain();
    return (used.user + used.system) / n;
  }

  function records() {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const { f } = all[i];
      writeRequest(writer, f, 1_700_000_000_000 + i, 8192);
      writeResponse(writer, f, response, 1_700_000_000_001 + i);
    }
    const used = process.cpuUsage(start);
    drain();
    return (used.user + used.system) / n;
  }

  const off = [];
  const on = [];
  const rec = [];
  return {
    round(measured) {
      const o = exchanges(rtOff);
      const e = exchanges(rtOn);
      const w = records();
      if (!measured) return;
      off.push(o);
      on.push(e);
      rec.push(w);
    },
    report(name) {
      const [mOff, mOn, mRec] = [median(off), median(on), median(rec)];
      console.log(
        `${name}: events off ${mOff.toFixed(2)}, on ${mOn.toFixed(2)} (+${(mOn - mOff).toFixed(2)}); ` +
          `writeRequest + writeResponse alone ${mRec.toFixed(2)}`,
      );
    },
  };
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const subjects = [['this checkout', await subject(new URL('../', import.meta.url))]];
if (args.baseline) subjects.push(['baseline', await subject(pathToFileURL(`${resolve(args.baseline)}/`))]);
// The first two rounds warm up.
for (let r = -2; r < rounds; r++) for (const [, s] of subjects) s.round(r >= 0);
console.log(`request thread, µs CPU per request (median of ${rounds} rounds of ${n}):`);
for (const [name, s] of subjects) s.report(`  ${name}`);
