// Gateway benchmark: in one run, starts a backend, the gateway (the built CLI), @fastify/http-proxy and
// minimal undici peers, each in its own process, drives each with autocannon (same load: 50
// connections, a warm-up, then a fixed measured duration in interleaved 1 s slices) and prints req/s,
// p50, p99, the CPU each request cost the machine, the server process and its main thread (Linux), and the
// ratios:
//   (a) no-op passthrough: gateway vs @fastify/http-proxy (target ≥ 1.3×) and a minimal undici proxy (≥ 0.9×)
//   (b) JSON endpoint with allow + mapping: gateway vs the same by hand with undici (no target)
//   (c) merge of three backends: gateway vs a minimal undici aggregator (target ≥ 0.8×)
//   (d) the (b) endpoint with events off vs on (`switchyard run` with TARGET_TYPE=kafka: the event proxy
//       in process, delivering to librdkafka's mock cluster through the disk spool; targets (issue 19): events
//       on ≥ 0.85× events off in req/s, and the request (main) thread's CPU per request events on ≤ 1.10×
//       events off), and the same with the memory queue instead of the spool (no target)
//   (e) the (a) passthrough on every core: `--workers 2` vs one process vs nginx with one worker process as a
//       reverse proxy to the same backend (targets (issue 21): ≥ 1.3× one process, ≥ 0.6× nginx); nginx is
//       installed by scripts/bench-setup.mjs when missing. CPU columns count the whole process tree.
// With --baseline DIR (another checkout of this repository, built), (a), (b) and (c) also measure that
// checkout's gateway in the same run and print this one's req/s over it: the before/after of a change.
// Run from the root after `npm run build`: npm run bench:gateway [-- --duration 5 --warmup 1 --connections 50
// --scenarios a,b,c,d,e --baseline DIR]
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ensureNginx, which } from '../scripts/bench-setup.mjs';
import { KAFKA_MOCK, startKafkaMock } from './support/kafka-mock.mjs';
import { startNginx } from './support/nginx.mjs';
import { startPeer } from './support/spawn.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    scenarios: { type: 'string', default: 'a,b,c,d,e' },
    baseline: { type: 'string' },
  },
});
const SCENARIOS = ['a', 'b', 'c', 'd', 'e'];
const only = new Set(args.scenarios.split(',').map((x) => x.trim().toLowerCase()));
for (const s of only) {
  if (!SCENARIOS.includes(s)) {
    console.error(`--scenarios: unknown scenario "${s}"; use a comma list of ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
const duration = Math.max(1, Math.min(Math.round(Number(args.duration)), 60));
const warmup = Math.min(Number(args.warmup), 10);
const connections = Math.min(Number(args.connections), 500);

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'apps/cli/bin/switchyard.js');
if (
  !existsSync(join(root, 'apps/cli/dist/main.js')) ||
  !existsSync(join(root, 'packages/gateway/dist/index.js'))
) {
  console.error('build first: npm run build');
  process.exit(1);
}
const here = (f) => join(root, 'bench/support', f);
const baselineCli = args.baseline ? join(args.baseline, 'apps/cli/bin/switchyard.js') : undefined;
if (baselineCli && !existsSync(join(args.baseline, 'apps/cli/dist/main.js'))) {
  console.error(
    `--baseline: ${args.baseline} has no built CLI (apps/cli/dist/main.js); build it there first`,
  );
  process.exit(1);
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// CPU time from /proc (Linux), in clock ticks (USER_HZ, 100 per second): the whole machine's busy time and
// one process's and its main thread's. On 2 shared cores the load generator, backend and server compete
// for the same CPU, so req/s follows the CPU each request costs the machine; where they each had cores of
// their own, a Node server would be bound by its main thread instead. Printing both shows where a ratio
// comes from and what it would be there.
const TICK_US = 10_000;
const procStat = existsSync('/proc/stat');
function machineTicks() {
  // Not iowait (idle) nor steal (the hypervisor's, not this machine's work).
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .split(/\s+/)
    .map(Number);
  return user + nice + system + irq + softirq;
}
// A process's CPU, or with `thread` one thread's (the pid's own task is the main thread).
function processTicks(pid, thread = false) {
  try {
    const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return Number.NaN;
  }
}

// A process and its children (the workers of `--workers`, nginx's worker): the pid's own first.
function processTree(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    return [pid, ...children.filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}
// CPU of a contender: its process, or with `tree` its process and children (and their main threads).
const contenderTicks = (c, thread) =>
  c.tree
    ? processTree(c.pid).reduce((n, pid) => n + processTicks(pid, thread), 0)
    : processTicks(c.pid, thread);

/**
 * Measures contenders of one scenario under the same load. After a warm-up each, the measured seconds
 * are cut into 1 s slices taken in turn (the starting contender rotates), so load from anything else on
 * the machine spreads evenly over them. req/s = requests / seconds over all slices; p50 and p99 are the
 * medians of the slices' percentiles.
 */
async function compare(contenders) {
  const acc = contenders.map(() => ({
    requests: 0,
    seconds: 0,
    p50: [],
    p99: [],
    bad: 0,
    served: 0,
    machine: 0,
    server: 0,
    main: 0,
  }));
  for (const [i, c] of contenders.entries()) {
    if (warmup > 0)
      acc[i].served += (await autocannon({ url: c.url, connections, duration: warmup })).requests.total;
  }
  for (let round = 0; round < duration; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + round) % contenders.length;
      const c = contenders[i];
      const before = procStat ? [machineTicks(), contenderTicks(c), contenderTicks(c, true)] : [];
      const r = await autocannon({ url: contenders[i].url, connections, duration: 1 });
      const a = acc[i];
      if (procStat) {
        a.machine += machineTicks() - before[0];
        a.server += contenderTicks(c) - before[1];
        a.main += contenderTicks(c, true) - before[2];
      }
      a.requests += r.requests.total;
      a.served += r.requests.total;
      a.seconds += r.duration;
      a.p50.push(r.latency.p50);
      a.p99.push(r.latency.p99);
      a.bad += r.non2xx + r.errors + r.timeouts;
    }
  }
  return acc.map((a) => ({
    rps: a.requests / a.seconds,
    p50: median(a.p50),
    p99: median(a.p99),
    bad: a.bad,
    served: a.served,
    // CPU per request, µs (NaN without /proc): the whole machine's, the server process's, its main thread's.
    machineUs: procStat ? (a.machine * TICK_US) / a.requests : Number.NaN,
    serverUs: procStat ? (a.server * TICK_US) / a.requests : Number.NaN,
    mainUs: procStat ? (a.main * TICK_US) / a.requests : Number.NaN,
  }));
}

/**
 * Records ever written to a fresh topic: the sum of its partitions' high watermarks (not high − low: the mock
 * cluster keeps a bounded log per partition, so the low watermark moves up under load).
 */
async function topicRecords(bootstrap, topic) {
  const { default: kafkajs } = await import('kafkajs');
  const admin = new kafkajs.Kafka({
    brokers: bootstrap.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function body(url) {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

const peers = [];
const dir = await mkdtemp(join(tmpdir(), 'swy-bench-'));
try {
  const backend = await startPeer('backend', [here('backend.mjs')]);
  peers.push(backend);
  const upstream = `http://127.0.0.1:${backend.port}`;
  const config = join(dir, 'krakend.json');
  await writeFile(
    config,
    JSON.stringify({
      version: 3,
      listen_ip: '127.0.0.1',
      port: 0,
      timeout: '5s',
      host: [upstream],
      endpoints: [
        {
          endpoint: '/noop',
          output_encoding: 'no-op',
          backend: [{ url_pattern: '/noop', encoding: 'no-op' }],
        },
        {
          endpoint: '/json',
          backend: [
            {
              url_pattern: '/user',
              allow: ['id', 'name', 'email', 'address.city', 'company.name'],
              mapping: { id: 'user_id' },
            },
          ],
        },
        {
          endpoint: '/merge',
          backend: [{ url_pattern: '/a' }, { url_pattern: '/b' }, { url_pattern: '/c' }],
        },
      ],
    }),
  );
  const admin = ['--admin-listen', '127.0.0.1:0'];
  const gateway = await startPeer('gateway', [cli, 'run', '-c', config, ...admin], {
    env: { LOG_LEVEL: 'info' },
  });
  peers.push(gateway);
  const baseline = baselineCli
    ? await startPeer('baseline', [baselineCli, 'run', '-c', config, ...admin], {
        env: { LOG_LEVEL: 'info' },
      })
    : undefined;
  if (baseline) peers.push(baseline);
  // Only (d) needs Kafka and the events-on gateways.
  const kafka = only.has('d') && existsSync(KAFKA_MOCK) ? await startKafkaMock() : undefined;
  if (kafka) peers.push(kafka);
  // Events on, as `switchyard run` delivers them to Kafka: through the disk spool (the default), and with
  // the memory queue instead (EVENT_SPOOL_ENABLED=false), so one run shows what the spool's share is.
  const eventsOn = async (name, topic, env) => {
    if (!kafka) return undefined;
    const peer = await startPeer(name, [cli, 'run', '-c', config, ...admin], {
      env: {
        LOG_LEVEL: 'info',
        TARGET_TYPE: 'kafka',
        TARGET_KAFKA_BROKERS: kafka.bootstrap,
        TARGET_KAFKA_TOPIC: topic,
        EVENT_PROXY_LISTEN: '127.0.0.1:0',
        EVENT_DEAD_LETTER_PATH: join(dir, `${topic}.dead-letters.ndjson`),
        ...env,
      },
    });
    peers.push(peer);
    return { ...peer, topic };
  };
  const withEvents = await eventsOn('gateway, events on', 'bench-gateway-events', {
    EVENT_SPOOL_DIR: join(dir, 'spool'),
  });
  const withEventsInMemory = await eventsOn('gateway, events on, memory queue', 'bench-gateway-events-mem', {
    EVENT_SPOOL_ENABLED: 'false',
  });
  // (e): the gateway on two workers, and nginx (installed when missing) in front of the same backend.
  let workers;
  let nginx;
  if (only.has('e')) {
    workers = await startPeer(
      'gateway --workers 2',
      [cli, 'gateway', '-c', config, ...admin, '--workers', '2'],
      {
        env: { LOG_LEVEL: 'info' },
        ready: 'gateway listening with workers',
        timeoutMs: 60_000,
      },
    );
    peers.push(workers);
    ensureNginx();
    nginx = await startNginx(which('nginx'), dir, upstream);
    peers.push(nginx);
  }
  const fastify = await startPeer('@fastify/http-proxy', [here('fastify-proxy.mjs'), upstream]);
  peers.push(fastify);
  const undici = await startPeer('undici peer', [here('undici-peer.mjs'), upstream]);
  peers.push(undici);
  const at = (peer, path) => `http://127.0.0.1:${peer.port}${path}`;
  const contender = (name, peer, path, tree = false) => ({ name, url: at(peer, path), pid: peer.pid, tree });
  // With a baseline, (a)-(c) measure it beside this checkout's gateway.
  const beside = (path) => (baseline ? [contender('switchyard (baseline)', baseline, path)] : []);

  // The same answers from the gateway and its peers, so the comparison is like for like.
  for (const path of ['/json', '/merge']) {
    const [g, u] = [await body(at(gateway, path)), await body(at(undici, path))];
    if (!isDeepStrictEqual(g, u))
      throw new Error(`${path}: gateway and peer answers differ\n${JSON.stringify(g)}\n${JSON.stringify(u)}`);
  }
  for (const [peer, name] of [
    [fastify, '@fastify/http-proxy'],
    [workers, 'gateway --workers 2'],
    [nginx, 'nginx'],
  ]) {
    if (peer && !isDeepStrictEqual(await body(at(gateway, '/noop')), await body(at(peer, '/noop'))))
      throw new Error(`/noop: gateway and ${name} answers differ`);
  }

  const rows = [];
  const scenario = async (label, contenders) => {
    process.stderr.write(`  ${label}: ${contenders.map((c) => c.name).join(' / ')} …\n`);
    const results = await compare(contenders);
    results.forEach((r, i) => {
      rows.push({ scenario: label, name: contenders[i].name, ...r });
    });
    return results;
  };
  console.error(
    `measuring: ${connections} connections, ${warmup}s warm-up each, then ${duration} × 1 s slices each, interleaved`,
  );
  const [a, aF, aU, aBase] = only.has('a')
    ? await scenario('(a) no-op', [
        contender('switchyard', gateway, '/noop'),
        contender('@fastify/http-proxy', fastify, '/noop'),
        contender('minimal undici proxy', undici, '/noop'),
        ...beside('/noop'),
      ])
    : [];
  const [b, bU, bBase] = only.has('b')
    ? await scenario('(b) allow+mapping', [
        contender('switchyard', gateway, '/json'),
        contender('undici by hand', undici, '/json'),
        ...beside('/json'),
      ])
    : [];
  const [c, cU, cBase] = only.has('c')
    ? await scenario('(c) merge of 3', [
        contender('switchyard', gateway, '/merge'),
        contender('minimal undici aggregator', undici, '/merge'),
        ...beside('/merge'),
      ])
    : [];
  const [dOff, dOn, dMem] =
    withEvents && withEventsInMemory && only.has('d')
      ? await scenario('(d) events', [
          contender('switchyard, events off', gateway, '/json'),
          contender('switchyard, events on (kafka)', withEvents, '/json'),
          contender('  the same, memory queue', withEventsInMemory, '/json'),
        ])
      : [];
  const [eW, eOne, eNginx] =
    workers && nginx
      ? await scenario('(e) all cores', [
          contender('switchyard --workers 2', workers, '/noop', true),
          contender('switchyard, one process', gateway, '/noop', true),
          contender('nginx, 1 worker_process', nginx, '/noop', true),
        ])
      : [];
  // Every request of an events-on gateway became a request and a response event on Kafka.
  const deliveries = [];
  for (const [result, peer] of [
    [dOn, withEvents],
    [dMem, withEventsInMemory],
  ]) {
    if (!result) continue;
    const expected = 2 * result.served;
    const end = Date.now() + 30_000;
    let delivered;
    do {
      delivered = await topicRecords(kafka.bootstrap, peer.topic);
      if (delivered >= expected) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < end);
    const n = (x) => x.toLocaleString('en-US');
    deliveries.push(
      `${peer.name}: ${n(delivered)} events on Kafka for ${n(result.served)} requests (expected ${n(expected)})`,
    );
  }

  const cores = cpus().length;
  console.log(
    `\nGateway benchmark — node ${process.version}, ${cores} CPU cores (${cpus()[0]?.model ?? '?'})`,
  );
  console.log(
    `load generator, backend, gateway and peers share these ${cores} cores; peers run one at a time, each in its own process\n`,
  );
  const pad = (s, n) => String(s).padEnd(n);
  const num = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const us = (n) => (Number.isNaN(n) ? '–' : num(n, 1));
  console.log(
    `${pad('', 80)}CPU µs per request\n${pad('scenario', 20)}${pad('server', 32)}${pad('req/s', 10)}${pad('p50 ms', 8)}${pad('p99 ms', 10)}${pad('machine', 9)}${pad('server', 9)}${pad('main', 7)}errors`,
  );
  for (const r of rows) {
    console.log(
      `${pad(r.scenario, 20)}${pad(r.name, 32)}${pad(num(r.rps), 10)}${pad(r.p50, 8)}${pad(r.p99, 10)}${pad(us(r.machineUs), 9)}${pad(us(r.serverUs), 9)}${pad(us(r.mainUs), 7)}${r.bad}`,
    );
  }
  const ratio = (x, y) => x.rps / y.rps;
  const mainRatio = (x, y) => y.mainUs / x.mainUs;
  const verdict = (value, target) =>
    target === undefined
      ? ''
      : value >= target
        ? `  target ≥ ${target}× met`
        : `  target ≥ ${target}× MISSED`;
  const lines = [
    ...(a
      ? [
          ['(a) switchyard / @fastify/http-proxy', ratio(a, aF), 1.3],
          ['(a) switchyard / minimal undici proxy', ratio(a, aU), 0.9],
        ]
      : []),
    ...(aBase ? [['(a) switchyard / baseline', ratio(a, aBase), undefined]] : []),
    ...(b ? [['(b) switchyard / undici by hand', ratio(b, bU), undefined]] : []),
    ...(bBase ? [['(b) switchyard / baseline', ratio(b, bBase), undefined]] : []),
    ...(c ? [['(c) switchyard / minimal undici aggregator', ratio(c, cU), 0.8]] : []),
    ...(cBase ? [['(c) switchyard / baseline', ratio(c, cBase), undefined]] : []),
    ...(dOn ? [['(d) events on / events off', ratio(dOn, dOff), 0.85]] : []),
    ...(dMem ? [['(d) the same, memory queue / events off', ratio(dMem, dOff), undefined]] : []),
    ...(eW
      ? [
          ['(e) --workers 2 / one process', ratio(eW, eOne), 1.3],
          ['(e) --workers 2 / nginx (1 worker)', ratio(eW, eNginx), 0.6],
          ['(e) one process / nginx (1 worker)', ratio(eOne, eNginx), undefined],
        ]
      : []),
  ];
  // (d) by the request thread's CPU: off / on ≥ 1 / 1.10 is the "on ≤ 1.10× off".
  const bound = [
    ...(dOn ? [['(d) events on / events off', mainRatio(dOn, dOff), 0.91]] : []),
    ...(dMem ? [['(d) the same, memory queue / events off', mainRatio(dMem, dOff), undefined]] : []),
  ].filter(([, value]) => !Number.isNaN(value));
  console.log('\nratios (req/s)');
  for (const [label, value, target] of lines)
    console.log(`  ${pad(label, 44)}${num(value, 2)}×${verdict(value, target)}`);
  if (bound.length > 0) {
    console.log(
      '\nratios (main-thread CPU per request, off / on: req/s where the main thread is the bottleneck)',
    );
    for (const [label, value, target] of bound)
      console.log(`  ${pad(label, 44)}${num(value, 2)}×${verdict(value, target)}`);
  }
  if (deliveries.length > 0) console.log(`\n(d) ${deliveries.join('\n    ')}`);
  else if (only.has('d'))
    console.log(`\n(d) skipped: the Kafka mock harness is not built (npm run test:setup)`);
  if (rows.some((r) => r.bad > 0))
    console.log('\nwarning: some runs had non-2xx answers, errors or timeouts');
} finally {
  for (const p of peers.reverse()) await p.stop();
  await rm(dir, { recursive: true, force: true });
}
