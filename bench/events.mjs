// Event proxy throughput against the raw clients, and its memory over a long run. After `npm run build`:
//   npm run bench:events [-- --events 50000] [--batch 500] [--rounds 3] [--rss-events 1000000]
//     [--rss-sink file|kafka] [--rss-seconds 90] [--spool]
// In one run, each in a fresh child process so figures and peak RSS are its own:
//   kafka:    the same events, same batch size, through createEventProxy (kafka sink) and through a raw kafkajs
//             producer (acks all, sequential sendBatch), both on librdkafka's mock cluster;
//   client:   the same through @switchyard/kafka's Producer alone (idempotent) and through @platformatic/kafka's
//             (acks all, one send per batch), on the newer librdkafka's mock cluster (the one
//             @platformatic/kafka's request versions need); Node.js 22 or newer, as @platformatic/kafka is;
//   rabbitmq: the same through the proxy (rabbitmq sink) and a raw amqplib ConfirmChannel publisher
//             (persistent, waitForConfirms per batch), both into a durable queue on 127.0.0.1:5672;
//   rss:      --rss-events through the proxy (default settings, disk spool on), bounded by --rss-seconds.
// The proxy side is timed from its first publish() to flush() resolving (every event confirmed by the broker).
// Each pair runs --rounds times, alternating which side goes first; the median rate of each side is compared
// (a shared 2-core machine is noisy). NODE_OPTIONS reaches every child (e.g. --max-old-space-size=64).
// The memory run goes twice: with the heap cap the event-proxy image sets (the target applies to it) and
// with V8's default heap sizing, printed beside it.
// --spool runs the throughput comparisons with the disk spool on (default: the memory queue).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KAFKA_MOCK, KAFKA_MOCK_BUNDLED, startKafkaMock } from './support/kafka-mock.mjs';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    'rss-events': { type: 'string', default: '1000000' },
    'rss-sink': { type: 'string', default: 'file' },
    'rss-seconds': { type: 'string', default: '90' },
    rounds: { type: 'string', default: '3' },
    spool: { type: 'boolean', default: false },
    // Internal: which side a child process runs.
    role: { type: 'string' },
    bootstrap: { type: 'string' },
    dir: { type: 'string' },
  },
});

const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const RSS_LIMIT_MB = 150;
// What packages/event-proxy/Dockerfile sets; kept in step by reading it.
const imageEnv = readFileSync(new URL('../packages/event-proxy/Dockerfile', import.meta.url), 'utf8').match(
  /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/,
);
const IMAGE_NODE_OPTIONS = imageEnv?.[1] ?? imageEnv?.[2];
// Reaches every child process (e.g. --max-old-space-size=64); shown with the figures.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: only displayed; turbo never runs the bench
const nodeOptions = process.env.NODE_OPTIONS;

// ---------------------------------------------------------------- the events (same generator on every side)

/** Event `i` of the run: request/response pairs sharing a request id, about 600 bytes of JSON each. */
function eventAt(createEnvelope, i) {
  const pair = Math.floor(i / 2);
  const common = {
    request_id: `bench-${pair}`,
    method: 'GET',
    path: `/api/items/${pair}`,
    endpoint: '/api/items/{id}',
  };
  const node = `node-${pair % 4}`;
  if (i % 2 === 0) {
    return createEnvelope(
      'request',
      {
        ...common,
        query: { page: '1' },
        client_ip: '10.0.0.1',
        headers: { 'user-agent': 'bench/1.0', accept: 'application/json', 'x-request-id': common.request_id },
        body_bytes: 0,
      },
      node,
    );
  }
  return createEnvelope(
    'response',
    {
      ...common,
      status: 200,
      latency_ms: 12.5,
      bytes: 1024,
      completed: true,
      backends: [{ url: `http://10.0.0.2:8080/items/${pair}`, method: 'GET', status: 200, latency_ms: 11.2 }],
    },
    node,
  );
}

async function shared() {
  return import('@switchyard/shared');
}

/** CPU seconds (user + system) this process spent since `start`: steadier than wall time on a busy machine. */
function cpuSeconds(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

function report(result) {
  console.log(`RESULT ${JSON.stringify({ ...result, peakRssMb: peakRssMb() })}`);
}

// ---------------------------------------------------------------- child roles

async function rawKafka() {
  const { createEnvelope } = await shared();
  const { default: kafkajs } = await import('kafkajs');
  const { Kafka, Partitioners, logLevel } = kafkajs;
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: args.bootstrap.split(','),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const topic = 'bench-raw';
  const events = Array.from({ length: EVENTS }, (_, i) => eventAt(createEnvelope, i));
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < events.length; i += BATCH) {
    const messages = events.slice(i, i + BATCH).map((event) => ({
      key: event.data.request_id,
      value: JSON.stringify(event),
      headers: { event_type: event.event_type },
    }));
    await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuStart);
  await producer.disconnect();
  report({ events: EVENTS, seconds, cpu });
}

/** `events` as each client's batches: key, JSON value and event_type header of every event. */
async function kafkaBatches() {
  const { createEnvelope } = await shared();
  const batches = [];
  for (let i = 0; i < EVENTS; i += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, j) => eventAt(createEnvelope, i + j)).map(
        (event) => ({
          key: event.data.request_id,
          value: JSON.stringify(event),
          eventType: event.event_type,
        }),
      ),
    );
  }
  return batches;
}

async function clientKafka() {
  const { Producer, RecordHeaders } = await import('@switchyard/kafka');
  const producer = new Producer({
    brokers: args.bootstrap.split(','),
    clientId: 'bench-client',
    requestTimeoutMs: 30_000,
    connectTimeoutMs: 5_000,
    acks: -1,
    idempotent: true,
  });
  await producer.connect();
  const headers = new Map();
  const batches = (await kafkaBatches()).map((batch) =>
    batch.map(({ key, value, eventType }) => {
      if (!headers.has(eventType)) headers.set(eventType, new RecordHeaders({ event_type: eventType }));
      return { topic: 'bench-client', key, value: Buffer.from(value), headers: headers.get(eventType) };
    }),
  );
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (const batch of batches) await producer.send(batch);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuStart);
  await producer.close();
  report({ events: EVENTS, seconds, cpu });
}

async function platformaticKafka() {
  const { Producer, ProduceAcks, stringSerializers } = await import('@platformatic/kafka');
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: args.bootstrap.split(','),
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    autocreateTopics: true,
    // Not idempotent: the mock cluster answers its InitProducerId (v4) with UNKNOWN_PRODUCER_ID. Ours stays
    // idempotent, the side with more to do.
  });
  const batches = (await kafkaBatches()).map((batch) =>
    batch.map(({ key, value, eventType }) => ({
      topic: 'bench-platformatic',
      key,
      value,
      headers: { event_type: eventType },
    })),
  );
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (const messages of batches) await producer.send({ messages });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuStart);
  await producer.close();
  report({ events: EVENTS, seconds, cpu });
}

async function rawRabbitmq() {
  const { createEnvelope } = await shared();
  const { default: amqp } = await import('amqplib');
  const exchange = `swy-bench.raw.${process.pid}`;
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = await bindQueue(channel, exchange);
  const events = Array.from({ length: EVENTS }, (_, i) => eventAt(createEnvelope, i));
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < events.length; i += BATCH) {
    for (const event of events.slice(i, i + BATCH)) {
      const ok = channel.publish(exchange, event.event_type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        contentType: 'application/json',
        messageId: event.id,
        timestamp: event.timestamp,
        type: event.event_type,
        headers: { event_type: event.event_type },
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuStart);
  const { messageCount } = await channel.checkQueue(queue);
  await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
  report({ events: EVENTS, seconds, cpu, queued: messageCount });
}

/** A durable queue bound to the exchange, so the broker stores what is published (as it would in use). */
async function bindQueue(channel, exchange) {
  const { queue } = await channel.assertQueue(`${exchange}.q`, { durable: true });
  await channel.bindQueue(queue, exchange, '#');
  return queue;
}

/**
 * Publishes `total` events in batches and waits until all are confirmed. With `pregenerate` (the throughput
 * runs) the events are made before the clock starts, as the raw clients' are; otherwise (the memory run) one
 * batch at a time, so the generator holds no more than a batch.
 */
async function proxyRun(target, { total, spool, deadlineSeconds, pregenerate }) {
  const { createEnvelope, createLogger } = await shared();
  const { validateEventProxySettings } = await import('@switchyard/config');
  const { createEventProxy } = await import('@switchyard/event-proxy');
  await mkdir(args.dir, { recursive: true });
  const settings = validateEventProxySettings({
    listen: '127.0.0.1:0',
    log_level: 'warn',
    filter: {},
    ingest: {},
    target,
    batch: { max_events: BATCH },
    retry: {},
    spool: { enabled: spool, dir: join(args.dir, 'spool') },
    dead_letter: { path: join(args.dir, 'dead-letters.ndjson') },
  });
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const proxy = createEventProxy(settings, { logger });
  await proxy.start();
  const ready = pregenerate ? Array.from({ length: total }, (_, i) => eventAt(createEnvelope, i)) : undefined;
  const deadline = performance.now() + deadlineSeconds * 1000;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let published = 0;
  while (published < total && performance.now() < deadline) {
    const end = Math.min(total, published + BATCH);
    const chunk = ready
      ? ready.slice(published, end)
      : Array.from({ length: end - published }, (_, i) => eventAt(createEnvelope, published + i));
    try {
      await proxy.publish(chunk);
      published = end;
      // Events reach a proxy as I/O (ingest requests, the gateway stream): yield to the event loop between
      // batches as those would, instead of validating and queueing every event before delivery can run.
      await new Promise((resolve) => setImmediate(resolve));
    } catch (err) {
      // The queue is full (block policy): wait for the sink to catch up, as an ingest client would.
      if (err?.code !== 'SWY_QUEUE_FULL') throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await proxy.flush(Math.max(10_000, deadline - performance.now()));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpuStart);
  await proxy.close();
  return { events: published, seconds, cpu, complete: published === total };
}

async function proxyKafka() {
  const target = {
    type: 'kafka',
    kafka: {
      brokers: args.bootstrap.split(','),
      topic: 'bench-proxy',
      compression: 'none',
      acks: -1,
      idempotent: true,
    },
  };
  report(
    await proxyRun(target, { total: EVENTS, spool: args.spool, deadlineSeconds: 600, pregenerate: true }),
  );
}

async function proxyRabbitmq() {
  const { default: amqp } = await import('amqplib');
  const exchange = `swy-bench.proxy.${process.pid}`;
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = await bindQueue(channel, exchange);
  const target = { type: 'rabbitmq', rabbitmq: { url: AMQP_URL, exchange, exchange_type: 'topic' } };
  const result = await proxyRun(target, {
    total: EVENTS,
    spool: args.spool,
    deadlineSeconds: 600,
    pregenerate: true,
  });
  const { messageCount } = await channel.checkQueue(queue);
  await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
  report({ ...result, queued: messageCount });
}

async function proxyRss() {
  const total = Number(args['rss-events']);
  const target =
    args['rss-sink'] === 'kafka'
      ? { type: 'kafka', kafka: { brokers: args.bootstrap.split(','), topic: 'bench-rss' } }
      : { type: 'file', file: { path: join(args.dir, 'events.ndjson') } };
  // Default settings: the disk spool holds what the sink has not confirmed yet.
  report(
    await proxyRun(target, {
      total,
      spool: true,
      deadlineSeconds: Number(args['rss-seconds']),
      pregenerate: false,
    }),
  );
}

// ---------------------------------------------------------------- the orchestrator

function runChild(role, extra = [], env = {}) {
  const childArgs = [fileURLToPath(import.meta.url), '--role', role, ...passThrough(), ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)));
      else reject(new Error(`${role} failed (exit ${code}):\n${out}`));
    });
  });
}

function passThrough() {
  const keys = ['events', 'batch', 'rss-events', 'rss-sink', 'rss-seconds'];
  return [...keys.flatMap((k) => [`--${k}`, String(args[k])]), ...(args.spool ? ['--spool'] : [])];
}

const rate = (r) => r.events / r.seconds;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** The round with the median rate, with every round's rate and the highest peak RSS. */
function median(results) {
  const sorted = [...results].sort((a, b) => rate(a) - rate(b));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...mid, rates: results.map(rate), peakRssMb: Math.max(...results.map((r) => r.peakRssMb)) };
}

/** Runs both sides `--rounds` times, alternating which goes first, so warm-up and load favour neither. */
async function pairOf(proxyRole, rawRole, { extra, dir }) {
  const proxy = [];
  const raw = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    const runProxy = async () =>
      proxy.push(await runChild(proxyRole, [...extra, '--dir', join(dir, `${round}`)]));
    const runRaw = async () => raw.push(await runChild(rawRole, extra));
    if (round % 2 === 0) {
      await runRaw();
      await runProxy();
    } else {
      await runProxy();
      await runRaw();
    }
  }
  return { proxy: median(proxy), raw: median(raw) };
}

function line(name, r) {
  const rounds = r.rates ? `  [${r.rates.map(fmt).join(', ')}]` : '';
  return `  ${name.padEnd(12)} ${fmt(r.events).padStart(9)} events in ${r.seconds.toFixed(2).padStart(6)} s = ${fmt(rate(r)).padStart(7)} events/s  (${fmt(r.events / r.cpu).padStart(7)} per CPU-s)   peak RSS ${r.peakRssMb.toFixed(0)} MB${rounds}`;
}

/** Prints both sides and their ratio, wall-clock (the verdict) and per CPU-second (steadier when shared). */
function compare(title, { proxy, raw }, target = 0.8, [ours, theirs] = ['proxy', 'raw client']) {
  const ratio = rate(proxy) / rate(raw);
  console.log(`${title}`);
  console.log(line(ours, proxy));
  console.log(line(theirs, raw));
  const cpuRatio = proxy.events / proxy.cpu / (raw.events / raw.cpu);
  console.log(
    `  ratio ${ours}/${theirs} ${ratio.toFixed(2)}× wall-clock (target ≥ ${target.toFixed(2)}×: ${ratio >= target ? 'met' : 'NOT met'}); ${cpuRatio.toFixed(2)}× per CPU-second`,
  );
  return ratio >= target;
}

async function main() {
  if (!existsSync(KAFKA_MOCK))
    throw new Error(`Kafka mock harness missing (${KAFKA_MOCK}); run \`npm run test:setup\``);
  const dir = await mkdtemp(join(tmpdir(), 'swy-bench-events-'));
  const kafka = await startKafkaMock();
  const extra = ['--bootstrap', kafka.bootstrap];
  const verdicts = [];
  console.log(
    `bench:events — ${fmt(EVENTS)} events, batches of ${BATCH}, ${args.rounds} rounds, proxy queue: ${args.spool ? 'disk spool' : 'memory'}; Node ${process.version}${nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : ''}`,
  );
  try {
    const kafkaPair = await pairOf('proxy-kafka', 'raw-kafka', { extra, dir: join(dir, 'kafka') });
    // The proxy's own producer (idempotent, acks all) against raw kafkajs: issue 22 sets 1.5×.
    verdicts.push(
      compare(
        'kafka (librdkafka mock cluster, 1 broker, acks all, no compression; proxy idempotent)',
        kafkaPair,
        1.5,
      ),
    );
    // The Kafka client alone against @platformatic/kafka: issue 22 sets 1.5× where the latter runs.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      console.log(
        `kafka client alone vs @platformatic/kafka: skipped (@platformatic/kafka needs Node.js 22 or newer; this is ${process.version})`,
      );
    } else {
      const newer = await startKafkaMock(KAFKA_MOCK_BUNDLED);
      try {
        const clientPair = await pairOf('client-kafka', 'platformatic-kafka', {
          extra: ['--bootstrap', newer.bootstrap],
          dir: join(dir, 'client'),
        });
        verdicts.push(
          compare(
            'kafka client alone vs @platformatic/kafka (newer librdkafka mock cluster, 1 broker, acks all, idempotent, no compression)',
            clientPair,
            1.5,
            ['switchyard', 'platformatic'],
          ),
        );
      } finally {
        newer.stop();
      }
    }

    const rabbitPair = await pairOf('proxy-rabbitmq', 'raw-rabbitmq', {
      extra: [],
      dir: join(dir, 'rabbitmq'),
    });
    verdicts.push(
      compare('rabbitmq (127.0.0.1:5672, persistent, publisher confirms, durable queue)', rabbitPair),
    );
    for (const [side, r] of Object.entries(rabbitPair)) {
      if (r.queued !== r.events)
        console.log(`  ${side}: the queue holds ${r.queued} of ${r.events} messages`);
    }

    // Twice: as the event-proxy container image runs it (its NODE_OPTIONS heap cap; the target applies to
    // that), and with V8's default heap sizing, which lets the heap grow far past what is live.
    for (const [label, heapCap] of [
      [`the image's heap cap, ${IMAGE_NODE_OPTIONS}`, IMAGE_NODE_OPTIONS],
      ["V8's default heap sizing", ''],
    ]) {
      const rss = await runChild('proxy-rss', [...extra, '--dir', join(dir, `rss${heapCap ? '-cap' : ''}`)], {
        NODE_OPTIONS: [nodeOptions, heapCap].filter(Boolean).join(' '),
      });
      const under = rss.peakRssMb < RSS_LIMIT_MB;
      console.log(`memory (${args['rss-sink']} sink, disk spool on, default settings, ${label})`);
      console.log(line('proxy', rss));
      console.log(
        `  peak RSS     ${rss.peakRssMb.toFixed(0)} MB after ${fmt(rss.events)} events (target < ${RSS_LIMIT_MB} MB: ${heapCap ? (under ? 'met' : 'NOT met') : 'for comparison'})${rss.complete ? '' : `; stopped at the ${args['rss-seconds']} s bound`}`,
      );
      if (heapCap) verdicts.push(under);
    }
  } finally {
    kafka.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.exitCode = verdicts.every(Boolean) ? 0 : 1;
}

const roles = {
  'raw-kafka': rawKafka,
  'raw-rabbitmq': rawRabbitmq,
  'proxy-kafka': proxyKafka,
  'client-kafka': clientKafka,
  'platformatic-kafka': platformaticKafka,
  'proxy-rabbitmq': proxyRabbitmq,
  'proxy-rss': proxyRss,
};

if (args.role) {
  const role = roles[args.role];
  if (!role) throw new Error(`unknown role ${args.role}`);
  await role();
  // Clients may leave timers behind; the result is out, so leave now.
  process.exit(0);
} else {
  await main();
}
