// Disk spool throughput: appends N events of about SIZE bytes in batches (fsync once per append call),
// then reads and acks them all back; prints events/s, MB/s and peak RSS. Uses the built package:
//   npx turbo run build --filter=@switchyard/event-proxy && node bench/spool.mjs [--events 200000]
//   [--size 500] [--batch 100] [--concurrency 4] [--fsync batch|always|never] [--segment-mb 16] [--read 500]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@switchyard/shared';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    size: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    fsync: { type: 'string', default: 'batch' },
    'segment-mb': { type: 'string', default: '16' },
    read: { type: 'string', default: '500' },
    dir: { type: 'string' },
  },
});
const total = Number(args.events);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const readMax = Number(args.read);

const { DiskSpool } = await import('../packages/event-proxy/dist/spool/index.js').catch((err) => {
  console.error('build the event proxy first: npx turbo run build --filter=@switchyard/event-proxy');
  throw err;
});

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

// One response event padded to about --size bytes of JSON; ids stay unique and ordered.
const template = {
  event_type: 'response',
  timestamp: Math.floor(Date.now() / 1000),
  kong_node_id: 'bench-node',
  data: {
    request_id: '',
    method: 'GET',
    path: '/api/items/42',
    endpoint: '/api/items/{id}',
    status: 200,
    latency_ms: 12.5,
    bytes: 1024,
    completed: true,
    backends: [{ url: 'http://127.0.0.1:8080/items/42', method: 'GET', status: 200, latency_ms: 11.2 }],
    pad: '',
  },
};
const baseSize = Buffer.byteLength(JSON.stringify({ id: 'x'.repeat(26), ...template }));
const pad = 'p'.repeat(Math.max(0, Number(args.size) - baseSize));
const makeEvent = (n) => {
  const id = `bench${String(n).padStart(21, '0')}`;
  return { id, ...template, data: { ...template.data, request_id: id, pad } };
};

const dir = args.dir ?? (await mkdtemp(join(tmpdir(), 'swy-spool-bench-')));
const spool = await DiskSpool.open({
  dir,
  maxBytes: 64 * 1024 ** 3,
  fullPolicy: 'block',
  segmentBytes: Number(args['segment-mb']) * 1024 * 1024,
  fsync: args.fsync,
  logger: createLogger({ level: 'warn' }),
});

const rssAtOpen = process.memoryUsage().rss;
let next = 0;
const appendStart = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const from = next;
      const count = Math.min(batchSize, total - from);
      next += count;
      const events = Array.from({ length: count }, (_, i) => makeEvent(from + i));
      await spool.append(events);
    }
  }),
);
const appendMs = performance.now() - appendStart;
const { bytes, segments } = spool.stats();
const rssAfterAppend = process.memoryUsage().rss;

const readStart = performance.now();
let read = 0;
while (read < total) {
  const batch = await spool.read(readMax, 0);
  if (!batch) break;
  read += batch.events.length;
  await spool.ack(batch);
}
const readMs = performance.now() - readStart;
await spool.close();
clearInterval(sampler);
if (!args.dir) await rm(dir, { recursive: true, force: true });

const mb = (n) => Math.round((n / 1024 / 1024) * 10) / 10;
console.log(
  JSON.stringify(
    {
      events: total,
      event_bytes: Math.round(bytes / total),
      batch: batchSize,
      concurrency,
      fsync: args.fsync,
      segments,
      append: {
        seconds: Math.round(appendMs) / 1000,
        events_per_s: Math.round(total / (appendMs / 1000)),
        mb_per_s: mb(bytes / (appendMs / 1000)),
      },
      read_ack: {
        seconds: Math.round(readMs) / 1000,
        events_per_s: Math.round(read / (readMs / 1000)),
        mb_per_s: mb(bytes / (readMs / 1000)),
      },
      rss_mb: {
        at_open: mb(rssAtOpen),
        after_append: mb(rssAfterAppend),
        peak: mb(peakRss),
        max_rss: mb(process.resourceUsage().maxRSS * 1024),
      },
    },
    null,
    2,
  ),
);
