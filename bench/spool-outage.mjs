// A sink outage with events still arriving: they must go to the disk spool, not to memory. After
// `npm run build` (the built packages are used):
//   npm run bench:spool [-- --events 1000000] [--chunk 1000] [--concurrency 4] [--memory-bound 150MiB]
//     [--heap-mb 64] [--spool-max 4GiB] [--sink http|kafka] [--max-seconds 600]
// The proxy runs in a child process given the memory bound as a container would be: V8's heap capped at
// --heap-mb (0 = V8's default sizing, which lets the heap grow lazily far past what is live), and its peak
// RSS is compared with --memory-bound. It has its default disk spool (block policy) and a sink that is down
// the whole time: an HTTP target on a loopback port nobody listens on (connections refused), or, with
// --sink kafka, librdkafka's mock cluster with its only broker down. --events are published in-process in
// chunks, --concurrency calls at a time, bounded by --max-seconds. It prints the peak RSS against the bound
// (pass/fail) and the spool's write rate (events/s, MiB/s of records written to disk).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    'memory-bound': { type: 'string', default: '150MiB' },
    'heap-mb': { type: 'string', default: '64' },
    'spool-max': { type: 'string', default: '4GiB' },
    sink: { type: 'string', default: 'http' },
    'max-seconds': { type: 'string', default: '600' },
    // Internal: set in the child process that runs the proxy.
    role: { type: 'string' },
  },
});

if (args.role !== 'run') {
  const heap = Number(args['heap-mb']);
  const forwarded = process.argv.slice(2);
  const child = spawn(
    process.execPath,
    [
      ...(heap > 0 ? [`--max-old-space-size=${heap}`] : []),
      fileURLToPath(import.meta.url),
      ...forwarded,
      '--role',
      'run',
    ],
    { stdio: 'inherit' },
  );
  child.on('exit', (code) => {
    process.exitCode = code ?? 1;
  });
} else {
  await measure();
}

async function measure() {
  const load = async (name) =>
    import(name).catch((err) => {
      console.error(`cannot load ${name}: build first (npm run build)`);
      throw err;
    });
  const { createEventProxy } = await load('@switchyard/event-proxy');
  const { validateEventProxySettings } = await load('@switchyard/config');
  const { createEnvelope, createLogger, parseSize } = await load('@switchyard/shared');

  const TOTAL = Number(args.events);
  const CHUNK = Number(args.chunk);
  const CONCURRENCY = Number(args.concurrency);
  const MEMORY_BOUND = parseSize(args['memory-bound']);
  const DEADLINE = Date.now() + Number(args['max-seconds']) * 1000;

  let peakRss = process.memoryUsage().rss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  }, 20);

  /** A loopback port with nothing listening: every connection is refused. */
  async function refusedPort() {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** The mock cluster (one broker), taken down before the proxy starts. */
  async function downKafka() {
    const bin = fileURLToPath(new URL('../packages/kafka/test/support/build/kafka-mock', import.meta.url));
    if (!existsSync(bin)) throw new Error(`build the Kafka mock harness first: npm run test:setup (${bin})`);
    const child = spawn(bin, ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = [];
    const waiters = [];
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        waiters.shift()?.();
      }
    });
    const next = async () => {
      while (lines.length === 0) await new Promise((resolve) => waiters.push(resolve));
      return lines.shift();
    };
    const bootstrap = await next();
    child.stdin.write('down 1\n');
    if ((await next()) !== 'ok down 1') throw new Error('kafka-mock: down 1 failed');
    return { bootstrap, close: () => child.kill('SIGKILL') };
  }

  const dir = await mkdtemp(join(tmpdir(), 'swy-spool-outage-'));
  let kafka;
  let target;
  if (args.sink === 'kafka') {
    kafka = await downKafka();
    target = {
      type: 'kafka',
      kafka: { brokers: kafka.bootstrap.split(','), topic: 'outage', timeout_ms: 2000 },
    };
  } else {
    target = {
      type: 'http',
      http: { url: `http://127.0.0.1:${await refusedPort()}/events`, timeout_ms: 2000 },
    };
  }

  const settings = validateEventProxySettings({
    listen: '127.0.0.1:0',
    log_level: 'error',
    target,
    spool: {
      enabled: true,
      dir: join(dir, 'spool'),
      max_bytes: parseSize(args['spool-max']),
      full_policy: 'block',
    },
    retry: { initial_ms: 100, max_ms: 2000 },
    dead_letter: { path: join(dir, 'dead-letters.ndjson') },
  });
  const proxy = createEventProxy(settings, { logger: createLogger({ level: 'error' }) });
  await proxy.start();
  const rssAtStart = process.memoryUsage().rss;

  // A realistic response event; each has its own id (ULID) and request id.
  const makeEvent = (n) =>
    createEnvelope(
      'response',
      {
        request_id: `req-${n}`,
        method: 'GET',
        path: `/api/items/${n % 1000}`,
        endpoint: '/api/items/{id}',
        status: 200,
        latency_ms: 12.5,
        bytes: 1024,
        completed: true,
        backends: [
          { url: `http://127.0.0.1:8080/items/${n % 1000}`, method: 'GET', status: 200, latency_ms: 11.2 },
        ],
      },
      'bench-node',
    );

  let next = 0;
  let published = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL && Date.now() < DEADLINE) {
        const from = next;
        const count = Math.min(CHUNK, TOTAL - from);
        next += count;
        const events = Array.from({ length: count }, (_, i) => makeEvent(from + i));
        for (;;) {
          try {
            const { accepted } = await proxy.publish(events);
            published += accepted;
            break;
          } catch (err) {
            // Only if the spool filled up (--spool-max too small for --events): wait and send again.
            if (err?.code !== 'SWY_QUEUE_FULL') throw err;
            refused++;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const all = await proxy.metrics.registry.getMetricsAsJSON();
  // A value of a metric by name and labels (of a histogram: its `_count`).
  const metric = (name, labels = {}) => {
    const found = all.find((m) => m.name === name);
    const value = found?.values.find(
      (v) =>
        (found.type !== 'histogram' || v.metricName === `${name}_count`) &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return value?.value ?? 0;
  };
  const spool = {
    events: metric('switchyard_spool_events'),
    bytes: metric('switchyard_spool_bytes'),
    segments: metric('switchyard_spool_segments'),
  };
  const delivered = metric('switchyard_events_delivered_total', { sink: args.sink });
  const failedSends = metric('switchyard_sink_send_seconds', { sink: args.sink, outcome: 'retryable' });
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  await proxy.close({ deadlineMs: 0 });
  kafka?.close();
  await rm(dir, { recursive: true, force: true });

  const mib = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
  const pass = peakRss <= MEMORY_BOUND;
  console.log(
    JSON.stringify(
      {
        sink: `${args.sink} (down for the whole run)`,
        heap: Number(args['heap-mb']) > 0 ? `--max-old-space-size=${args['heap-mb']}` : 'V8 default',
        events_published: published,
        events_asked: TOTAL,
        chunk: CHUNK,
        concurrency: CONCURRENCY,
        seconds: Math.round(seconds * 100) / 100,
        spool: {
          held_events: spool.events,
          held_mib: mib(spool.bytes),
          segments: spool.segments,
          write_events_per_s: Math.round(published / seconds),
          write_mib_per_s: mib(spool.bytes / seconds),
          refused_full: refused,
        },
        sink_failed_sends: failedSends,
        delivered,
        rss_mib: { at_start: mib(rssAtStart), peak: mib(peakRss), bound: mib(MEMORY_BOUND) },
        heap_used_peak_mib: mib(peakHeap),
        rss_within_bound: pass,
      },
      null,
      2,
    ),
  );
  process.exitCode = pass && published === TOTAL ? 0 : 1;
}
