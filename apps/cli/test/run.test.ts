import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '@switchyard/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `switchyard <args>` in-process: captured output and a stop signal the test fires. */
function start(args: string[]) {
  let stdout = '';
  let stderr = '';
  let stop: (s: NodeJS.Signals) => void = () => undefined;
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const done = main(args, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: { LOG_LEVEL: 'info' },
    stopSignal: new Promise((resolve) => {
      stop = resolve;
    }),
  });
  return { done, stop: (s: NodeJS.Signals = 'SIGTERM') => stop(s), out: () => stdout, err: () => stderr };
}

/** Waits for the `gateway listening` log line and returns its port (bounded). */
async function listeningPort(out: () => string): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    for (const line of out().split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'gateway listening' && entry.port) return entry.port;
    }
    if (Date.now() > end) throw new Error(`gateway did not start: ${out()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let backend: Server;
let backendPort: number;
let slowSeen = false;
let goodFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-run-'));
  backend = createServer((req, res) => {
    const send = () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    };
    if (req.url === '/slow') {
      slowSeen = true;
      setTimeout(send, 300);
    } else send();
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;
  goodFile = join(dir, 'krakend.json');
  await writeFile(
    goodFile,
    JSON.stringify({
      version: 3,
      listen_ip: '127.0.0.1',
      port: 0,
      host: [`http://127.0.0.1:${backendPort}`],
      endpoints: [
        { endpoint: '/hello', backend: [{ url_pattern: '/hi' }] },
        { endpoint: '/slow', backend: [{ url_pattern: '/slow' }] },
      ],
    }),
  );
});

afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('switchyard run', () => {
  it('serves the file until SIGTERM, finishing requests in flight, then exits 0', async () => {
    const cli = start(['run', '-c', goodFile, '--admin-listen', '127.0.0.1:0']);
    const port = await listeningPort(cli.out);
    expect(await get(port, '/hello')).toEqual({ status: 200, body: '{"path":"/hi"}' });
    expect((await get(port, '/__debug/x')).status).toBe(404);

    slowSeen = false;
    const inFlight = get(port, '/slow');
    const end = Date.now() + 5000;
    while (!slowSeen && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    cli.stop('SIGTERM');
    expect(await inFlight).toEqual({ status: 200, body: '{"path":"/slow"}' });
    expect(await cli.done).toBe(0);
    await expect(get(port, '/hello')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(cli.err()).toBe('');
  });

  it('-p overrides the port and -d enables /__debug', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const cli = start(['run', '-c', goodFile, '-d', '-p', String(free), '--admin-listen', '127.0.0.1:0']);
    expect(await listeningPort(cli.out)).toBe(free);
    expect(await get(free, '/__debug/ping')).toEqual({ status: 200, body: '{"message":"pong"}' });
    cli.stop('SIGINT');
    expect(await cli.done).toBe(0);
  });

  it('prints the same diagnostics as check for a bad file and exits 1', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({ version: 3, endpoints: [{ endpoint: '/x', backend: [{ url_pattern: '/y/{id}' }] }] }),
    );
    const runCli = start(['run', '-c', bad]);
    expect(await runCli.done).toBe(1);
    const checkCli = start(['check', '-c', bad]);
    expect(await checkCli.done).toBe(1);
    expect(runCli.err()).not.toBe('');
    expect(runCli.err()).toBe(checkCli.err());
    expect(runCli.out()).toBe('');
  });

  it('says what is missing from the command line', async () => {
    const cli = start(['run']);
    expect(await cli.done).toBe(1);
    expect(cli.err()).toContain('missing -c FILE');
    const port = start(['run', '-c', goodFile, '-p', 'http']);
    expect(await port.done).toBe(255); // a flag that does not parse, as cobra
    expect(port.err()).toContain('expected a port number');
  });
});

describe('switchyard gateway', () => {
  it('runs the gateway alone until SIGTERM', async () => {
    const cli = start(['gateway', '-c', goodFile, '--admin-listen', '127.0.0.1:0']);
    const port = await listeningPort(cli.out);
    expect(await get(port, '/hello')).toEqual({ status: 200, body: '{"path":"/hi"}' });
    cli.stop();
    expect(await cli.done).toBe(0);
  });
});
