import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startDemoBackends } from '../src/demo/backends.js';
import { main } from '../src/main.js';

/** `switchyard demo-backends <args>` in-process, with captured output and a stop the test fires. */
function start(args: string[]) {
  const out = { stdout: '', stderr: '' };
  const capture = (key: 'stdout' | 'stderr') => {
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => {
      out[key] += c.toString();
    });
    return stream;
  };
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stop = resolve;
  });
  const done = main(['demo-backends', ...args], {
    stdout: capture('stdout'),
    stderr: capture('stderr'),
    env: {},
    stopSignal,
  });
  return { out, done, stop: () => stop('SIGTERM') };
}

async function listening(out: { stdout: string }, done: Promise<number>): Promise<string> {
  for (;;) {
    const url = /listening on (\S+)/.exec(out.stdout)?.[1];
    if (url) return url;
    const exited = await Promise.race([done, new Promise((r) => setTimeout(r, 10, undefined))]);
    if (exited !== undefined) throw new Error(`demo-backends exited ${exited}`);
  }
}

describe('switchyard demo-backends', () => {
  it('serves the demo data on the --listen address until stopped', async () => {
    const run = start(['--listen', '127.0.0.1:0']);
    const url = await listening(run.out, run.done);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const user = await (await fetch(`${url}/users/1`)).json();
    expect(user).toMatchObject({ id: 1, name: 'Ada Lovelace', team_id: 10 });
    expect((await fetch(`${url}/orders?user=2`)).status).toBe(200);
    run.stop();
    expect(await run.done).toBe(0);
    await expect(fetch(`${url}/users/1`)).rejects.toThrow();
  });

  it('refuses a bad address (exit 1) or an unknown flag (exit 255, as cobra) with the usage', async () => {
    const address = start(['--listen', 'nowhere']);
    expect(await address.done).toBe(1);
    expect(address.out.stderr).toContain('usage: switchyard demo-backends [--listen HOST:PORT]');
    const flag = start(['--port', '8000']);
    expect(await flag.done).toBe(255);
    expect(flag.out.stderr).toContain(
      'unknown flag: --port\nusage of switchyard demo-backends:\n      --listen HOST:PORT',
    );
  });

  it('a busy port: SWY_LISTEN_FAILED naming the address (exit 1), not a bare EADDRINUSE', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      await expect(startDemoBackends(port, '127.0.0.1')).rejects.toMatchObject({
        code: 'SWY_LISTEN_FAILED',
        message: expect.stringContaining(`demo backends on 127.0.0.1:${port}: listen EADDRINUSE`),
      });
      const run = start(['--listen', `127.0.0.1:${port}`]);
      expect(await run.done).toBe(1);
      expect(run.out.stderr).toContain(`demo backends on 127.0.0.1:${port}: listen EADDRINUSE`);
    } finally {
      busy.close();
    }
  });
});
