import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { closedPort, json, startBackend } from '../support/backend.js';

const PROBE = fileURLToPath(new URL('../support/otel-exit-probe.mjs', import.meta.url));
/** Generous: the exporter's retries alone used to hold the process for about 8 s after the close. */
const EXIT_LIMIT_MS = 5_000;

it('a closed gateway whose collector is down leaves nothing keeping the process alive', async () => {
  const port = await closedPort();
  const backend = await startBackend((_req, res) => json(res, { ok: true }));
  const file = {
    version: 3,
    extra_config: {
      'telemetry/opentelemetry': {
        exporters: { otlp: [{ name: 'down', host: '127.0.0.1', port, use_http: true }] },
      },
    },
    endpoints: [{ endpoint: '/a', backend: [{ host: [backend.origin], url_pattern: '/a' }] }],
  };
  const child = spawn(process.execPath, [PROBE, JSON.stringify(file)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const closed = new Promise<void>((resolve) => {
      child.stdout.on('data', () => {
        if (out.includes('closed')) resolve();
      });
    });
    // Started, served and closed (bounded by the test's timeout), or exited early (a failure below).
    await Promise.race([closed, exited]);
    expect(out).toContain('served 200');
    expect(out).toContain('closed');
    let timer: NodeJS.Timeout | undefined;
    const stillAlive = new Promise<'alive'>((resolve) => {
      timer = setTimeout(() => resolve('alive'), EXIT_LIMIT_MS);
    });
    const outcome = await Promise.race([exited, stillAlive]);
    clearTimeout(timer);
    expect(outcome).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await backend.close();
  }
}, 60_000);
