// The probe of issue 16.7, run in a child process so its memory is its own: 12,000 requests with a 30 KB
// header through a gateway building events in its worker, one SSE reader on the admin stream. Prints one
// JSON line: RSS before and after (after a GC), what the rings hold, what the reader got.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { createGateway } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';

const REQUESTS = Number(process.argv[2] ?? 12_000);
const RING_MAX_BYTES = 16 * 1024 * 1024;
const DEADLINE = Date.now() + 120_000;

const backend = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
backend.listen(0, '127.0.0.1');
await once(backend, 'listening');
const gateway = createGateway({
  config: {
    version: 3,
    listen_ip: '127.0.0.1',
    port: 0,
    host: [`http://127.0.0.1:${backend.address().port}`],
    extra_config: { 'telemetry/events': { health_interval: '1h', ring_max_bytes: RING_MAX_BYTES } },
    endpoints: [{ endpoint: '/a', backend: [{ url_pattern: '/a' }] }],
  },
  logger: createLogger({ level: 'silent' }),
  admin: { listen: '127.0.0.1:0' },
  eventWorker: true,
});
const { port } = await gateway.listen();
const admin = gateway.adminAddress;

// One SSE reader, reading as fast as events come.
let sseBytes = 0;
const sse = request({ host: '127.0.0.1', port: admin.port, path: '/__events', agent: false });
sse.end();
const [sseRes] = await once(sse, 'response');
sseRes.on('data', (c) => {
  sseBytes += c.length;
});

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const big = 'b'.repeat(30 * 1024);
function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}
async function load(count) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count && Date.now() < DEADLINE) {
      next++;
      if ((await get('/a', { 'x-big': big })) !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return failed;
}
const rss = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};

await load(500);
const before = rss();
const failed = await load(REQUESTS);
// Let the worker and the stream catch up, then measure what stays.
await new Promise((r) => setTimeout(r, 500));
const after = rss();
const health = await new Promise((resolve) => {
  const req = request({ host: '127.0.0.1', port: admin.port, path: '/__health', agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => {
      body += c;
    });
    res.on('end', () => resolve(JSON.parse(body)));
  });
  req.end();
});
console.log(
  JSON.stringify({
    before,
    after,
    failed,
    sse_bytes: sseBytes,
    retained: health.events.retained,
    retained_bytes: health.events.retained_bytes,
    ring_max_bytes: RING_MAX_BYTES,
    timed_out: Date.now() >= DEADLINE,
  }),
);
sse.destroy();
await gateway.close();
agent.destroy();
backend.close();
