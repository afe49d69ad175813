// The ingest probe of issue 16: one POST /events of many NDJSON lines of `{}` (each an invalid event). After
// `npm run build` (the built packages are used):
//   node bench/ingest-probe.mjs [--lines 1000000 | --bytes 10MB] [--max-items N] [--path /events]
// The proxy runs in a child process (file sink, disk spool, a temp dir). While the POST is answered, /healthz
// is asked every 20 ms. It prints the answer's status and size, how long the answer took, how many /healthz
// answers came back before the POST's answer did and the slowest of them, and the child's RSS before and at
// its peak (VmHWM).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string' },
    bytes: { type: 'string' },
    'max-items': { type: 'string' },
    path: { type: 'string', default: '/events' },
  },
});

const MAIN = fileURLToPath(new URL('../packages/event-proxy/dist/main.js', import.meta.url));
const LINE = '{}\n';
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function linesWanted() {
  if (args.bytes) {
    const m = /^(\d+)\s*(MB|MiB)?$/i.exec(args.bytes);
    if (!m) throw new Error('--bytes: a number, optionally with MB or MiB');
    const unit = m[2] ? (m[2].toLowerCase() === 'mb' ? 1_000_000 : 1024 * 1024) : 1;
    return Math.floor((Number(m[1]) * unit) / LINE.length);
  }
  return Number(args.lines ?? 1_000_000);
}

function memoryKb(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
}

const dir = await mkdtemp(join(tmpdir(), 'swy-ingest-probe-'));
const child = spawn(process.execPath, [MAIN], {
  env: {
    PATH: process.env.PATH ?? '',
    TARGET_TYPE: 'file',
    TARGET_FILE_PATH: join(dir, 'out.ndjson'),
    EVENT_PROXY_LISTEN: '127.0.0.1:0',
    EVENT_SPOOL_DIR: join(dir, 'spool'),
    EVENT_DEAD_LETTER_PATH: join(dir, 'dead.ndjson'),
    ...(args['max-items'] && { EVENT_INGEST_MAX_ITEMS: args['max-items'] }),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// A probe stopped from outside (timeout, ^C) does not leave the proxy behind.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => child.kill('SIGKILL') && process.exit(1));
try {
  const url = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const m = /"listen":"([^"]+)"[^\n]*"msg":"event proxy started"/.exec(buffered);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code}) before it started`)));
  });
  const lines = linesWanted();
  const body = LINE.repeat(lines);
  const rssBefore = memoryKb(child.pid, 'VmRSS') * 1024;

  let answered = false;
  const health = { before: 0, failed: 0, slowestMs: 0 };
  const healthLoop = (async () => {
    while (!answered) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        if (!answered) health.before++;
      } catch {
        // A request held past the listener's header timeout during a stall is reset.
        health.failed++;
      }
      health.slowestMs = Math.max(health.slowestMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const t0 = performance.now();
  let status;
  let answerBytes;
  let error = '';
  try {
    const res = await fetch(`${url}${args.path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    answered = true;
    status = res.status;
    const text = await res.text();
    answerBytes = Buffer.byteLength(text);
    if (status >= 500 || answerBytes < 2000) error = text.slice(0, 300);
  } catch (err) {
    answered = true;
    status = 'failed';
    error = String(err?.cause ?? err);
  }
  const answerMs = performance.now() - t0;
  await healthLoop;
  const peak = memoryKb(child.pid, 'VmHWM') * 1024;
  console.log(
    JSON.stringify(
      {
        probe: `POST ${args.path}: ${lines} NDJSON lines of {} (${mb(body.length)})`,
        status,
        answer_bytes: answerBytes,
        answer_ms: Math.round(answerMs),
        healthz_answered_before_the_answer: health.before,
        healthz_failed: health.failed,
        healthz_slowest_ms: Math.round(health.slowestMs),
        rss_before: mb(rssBefore),
        rss_peak: mb(peak),
        ...(error && { answer_excerpt: error }),
      },
      null,
      2,
    ),
  );
} finally {
  child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
}
