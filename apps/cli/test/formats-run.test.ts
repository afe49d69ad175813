import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '@switchyard/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// One gateway config written by hand in JSON, YAML and TOML; each runs and answers the same.

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
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
    stderr: sink(() => undefined),
    env: { LOG_LEVEL: 'info', ...env },
    stopSignal: new Promise((resolve) => {
      stop = resolve;
    }),
  });
  return { done, stop: () => stop('SIGTERM'), out: () => stdout };
}

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
let origin: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-formats-run-'));
  backend = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (req.url?.startsWith('/users/'))
      res.end(JSON.stringify({ id: req.url.slice(7), name: 'Ada', secret: 'x' }));
    else res.end(JSON.stringify([{ n: 1 }, { n: 2 }]));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const texts = (o: string): Record<string, string> => ({
  'krakend.json': `{
  "version": 3, "listen_ip": "127.0.0.1", "port": 0, "host": ["${o}"],
  "endpoints": [
    { "endpoint": "/u/{id}", "backend": [
      { "url_pattern": "/users/{id}", "deny": ["secret"], "mapping": { "name": "full_name" } },
      { "url_pattern": "/orders", "is_collection": true, "mapping": { "collection": "orders" } } ] }
  ]
}`,
  'krakend.yaml': `version: 3
listen_ip: 127.0.0.1
port: 0
host: ["${o}"]
endpoints:
  - endpoint: /u/{id}
    backend:
      - url_pattern: /users/{id}
        deny: [secret]
        mapping:
          name: full_name
      - url_pattern: /orders
        is_collection: true
        mapping: { collection: orders }
`,
  'krakend.toml': `version = 3
listen_ip = "127.0.0.1"
port = 0
host = ["${o}"]

[[endpoints]]
endpoint = "/u/{id}"

[[endpoints.backend]]
url_pattern = "/users/{id}"
deny = ["secret"]
mapping = { name = "full_name" }

[[endpoints.backend]]
url_pattern = "/orders"
is_collection = true
[endpoints.backend.mapping]
collection = "orders"
`,
});

describe('the same config in JSON, YAML, TOML and a Flexible Configuration template', () => {
  it('runs identically', async () => {
    const answers: unknown[] = [];
    for (const [name, text] of Object.entries(texts(origin))) {
      const file = join(dir, name);
      await writeFile(file, text);
      const cli = start(['gateway', '-c', file, '--admin-listen', '127.0.0.1:0']);
      const port = await listeningPort(cli.out);
      answers.push([await get(port, '/u/7'), await get(port, '/nope')]);
      cli.stop();
      expect(await cli.done).toBe(0);
    }
    const [found, missing] = answers[0] as [{ status: number; body: string }, { status: number }];
    expect(found.status).toBe(200);
    expect(JSON.parse(found.body)).toEqual({ id: '7', full_name: 'Ada', orders: [{ n: 1 }, { n: 2 }] });
    expect(missing.status).toBe(404);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    // The same config rendered from a Flexible Configuration template, with settings and a partial.
    await mkdir(join(dir, 'settings'));
    await mkdir(join(dir, 'partials'));
    await writeFile(
      join(dir, 'settings', 'svc.json'),
      JSON.stringify({ hosts: [origin], orders: '/orders' }),
    );
    await writeFile(join(dir, 'partials', 'deny.tmpl'), '"deny": ["secret"]');
    await writeFile(
      join(dir, 'krakend.tmpl'),
      `{ "version": 3, "listen_ip": "127.0.0.1", "port": 0, "host": {{ marshal .svc.hosts }},
  "endpoints": [{ "endpoint": "/u/{id}", "backend": [
    { "url_pattern": "/users/{id}", {{ include "deny.tmpl" }}, "mapping": { "name": "full_name" } },
    { "url_pattern": "{{ .svc.orders }}", "is_collection": true, "mapping": { "collection": "orders" } } ] }] }
`,
    );
    const fc = start(['gateway', '-c', join(dir, 'krakend.tmpl'), '--admin-listen', '127.0.0.1:0'], {
      FC_ENABLE: '1',
      FC_SETTINGS: join(dir, 'settings'),
      FC_PARTIALS: join(dir, 'partials'),
    });
    const port = await listeningPort(fc.out);
    expect([await get(port, '/u/7'), await get(port, '/nope')]).toEqual(answers[0]);
    fc.stop();
    expect(await fc.done).toBe(0);
  });
});
