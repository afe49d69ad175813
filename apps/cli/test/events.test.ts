import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '@switchyard/cli';
import { createEnvelope } from '@switchyard/shared';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { preflight } from '../src/commands/events-tail.js';

const dir = mkdtempSync(join(tmpdir(), 'swy-cli-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  return { stream, text: () => text };
}

async function runEvents(env: NodeJS.ProcessEnv, args: string[] = []) {
  const out = capture();
  const err = capture();
  let stop: (s: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((r) => {
    stop = r;
  });
  const code = main(['events', ...args], { stdout: out.stream, stderr: err.stream, env, stopSignal });
  return { code, out, err, stop };
}

describe('switchyard events', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['no TARGET_TYPE', {}, /TARGET_TYPE/],
    ['TARGET_TYPE=http without TARGET_HTTP_URL', { TARGET_TYPE: 'http' }, /TARGET_HTTP_URL is required/],
    ['a bad TARGET_TYPE', { TARGET_TYPE: 'kafkaa' }, /TARGET_TYPE/],
    ['a bad URL', { TARGET_TYPE: 'http', TARGET_HTTP_URL: 'ftp://x' }, /TARGET_HTTP_URL/],
  ];
  for (const [name, env, pattern] of cases) {
    it(`${name}: prints one line naming the variable and exits 1`, async () => {
      const run = await runEvents(env);
      expect(await run.code).toBe(1);
      const lines = run.err.text().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^switchyard events: /);
      expect(lines[0]).toMatch(pattern);
      expect(run.out.text()).toBe('');
    });
  }

  it('refuses an unknown subcommand or argument', async () => {
    const sub = await runEvents({}, ['tale']);
    expect(await sub.code).toBe(1);
    expect(sub.err.text()).toContain('unknown subcommand "tale"');
    const arg = await runEvents({ TARGET_TYPE: 'file', TARGET_FILE_PATH: '-' }, ['--bogus']);
    expect(await arg.code).toBe(255);
    expect(arg.err.text()).toContain('unknown flag: --bogus');
  });

  it('runs with the default disk spool, takes events over HTTP, and on SIGTERM drains and exits 0', async () => {
    const path = join(dir, 'events.ndjson');
    const run = await runEvents({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: path,
      EVENT_PROXY_LISTEN: '127.0.0.1:0',
      EVENT_SPOOL_DIR: join(dir, 'spool'),
      EVENT_DEAD_LETTER_PATH: join(dir, 'dead.ndjson'),
      EVENT_BATCH_LINGER: '1s',
    });
    // The listener's address (port 0 → a real port) is in the start log line.
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      await new Promise((r) => setTimeout(r, 25));
      url = /"listen":"(http:\/\/[^"]+)"/.exec(run.out.text())?.[1];
    }
    expect(url).toBeDefined();
    const sent = Array.from({ length: 25 }, (_, i) =>
      createEnvelope(
        'node_health',
        { status: 'ok', uptime_s: i, rss_bytes: 1, event_loop_lag_ms: 0, in_flight: 0, version: 'test' },
        'node-1',
      ),
    );
    const res = await request(`${url}/events`, { method: 'POST', body: JSON.stringify(sent) });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    run.stop('SIGTERM');
    expect(await run.code).toBe(0);
    const delivered = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(delivered).toEqual(sent);
    expect(run.err.text()).toBe('');
  });
});

describe('events tail: preflight', () => {
  it('a URL that answers but is not an event stream: SWY_SOURCE_NOT_EVENT_STREAM, not retryable', async () => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(preflight(`http://127.0.0.1:${port}`, undefined)).rejects.toMatchObject({
        code: 'SWY_SOURCE_NOT_EVENT_STREAM',
        retryable: false,
        message: expect.stringContaining('not an event stream'),
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
