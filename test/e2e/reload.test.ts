import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type RunningSwitchyard, startRun } from '@switchyard/cli';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  get,
  proxySettings,
  readNdjson,
  startBackend,
  tempDir,
  testIO,
  until,
  writeJson,
} from './support/switchyard.js';

// Hot reload as `switchyard run` does it (the file watched, the event proxy in process writing a file):
// a good file is swapped in (new routes served, requests in flight finish on the old file, plugin_updated
// delivered); a bad one is refused with its diagnostics logged and the old file keeps serving.

const tmp = tempDir('reload');
let backend: Backend;
let running: RunningSwitchyard;
let base: string;
const configPath = join(tmp.dir, 'krakend.json');
const eventsPath = join(tmp.dir, 'events.ndjson');
let logs = '';

const config = (version: string, extra: object[] = [], breakerErrors = 5) => ({
  version: 3,
  listen_ip: '127.0.0.1',
  port: 0,
  host: [backend.url],
  extra_config: { 'telemetry/events': { health_interval: '1h' } },
  endpoints: [
    {
      endpoint: '/x',
      backend: [
        {
          url_pattern: `/slow/${version}`,
          extra_config: { 'qos/circuit-breaker': { interval: 60, timeout: 10, max_errors: breakerErrors } },
        },
      ],
    },
    ...extra,
  ],
});

/** Writes the file the way editors save: a new file renamed over the old one. */
function save(value: unknown): void {
  const temp = `${configPath}.tmp`;
  writeFileSync(temp, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  renameSync(temp, configPath);
}

beforeAll(async () => {
  backend = await startBackend();
  backend.slowMs = 0;
  writeJson(configPath, config('1'));
  const logStream = new PassThrough();
  logStream.on('data', (c: Buffer) => {
    logs += c.toString('utf8');
  });
  const started = await startRun(
    { file: configPath, debug: false, port: 0, adminListen: '127.0.0.1:0' },
    testIO(),
    {
      host: '127.0.0.1',
      logger: createLogger({ level: 'error', destination: logStream }),
      reloadDebounceMs: 50,
      proxy: proxySettings(tmp.dir, { type: 'file', file: { path: eventsPath } } as never),
    },
  );
  if (!started) throw new Error('the gateway file was refused');
  running = started;
  base = `http://127.0.0.1:${running.gateway.address?.port}`;
});
afterAll(async () => {
  await running?.close();
  await backend?.close();
  tmp.cleanup();
});

const versionAt = async (path: string) => JSON.parse((await get(base, path)).body).version as string;

describe('hot reload under `switchyard run`', () => {
  it('a good file: new routes are served, a request in flight finishes on the old file, plugin_updated is delivered', async () => {
    expect(await versionAt('/x')).toBe('1');
    backend.slowMs = 600;
    const seen = backend.slowSeen;
    const inFlight = versionAt('/x');
    await until(() => backend.slowSeen > seen, 'the slow request to reach the backend');
    save(config('2', [{ endpoint: '/new', backend: [{ url_pattern: '/v/new' }] }], 3));
    await until(async () => (await get(base, '/new')).status === 200, 'the new route');
    // Swapped while the slow request was running: it still answered from the old file's backend path.
    expect(await inFlight).toBe('1');
    backend.slowMs = 0;
    expect(await versionAt('/x')).toBe('2');
    expect(await versionAt('/new')).toBe('new');

    await until(
      () => readNdjson(eventsPath).some((e) => (e as Envelope).event_type === 'plugin_updated'),
      'plugin_updated in the events file',
    );
    const updates = readNdjson(eventsPath).filter((e) => (e as Envelope).event_type === 'plugin_updated');
    expect(updates.map((e) => (e as Envelope).data)).toEqual([
      {
        plugin: 'qos/circuit-breaker',
        scope: 'GET /x backend[0] /slow/2',
        change: 'config',
        from: { interval: 60, timeout: 10, max_errors: 5 },
        to: { interval: 60, timeout: 10, max_errors: 3 },
      },
    ]);
  });

  it('a file KrakenD refuses: refused with the diagnostics check prints, and the running file keeps serving', async () => {
    const before = logs.length;
    save(config('3', [{ endpoint: '/new', backend: [{ url_pattern: '/v/{nope}' }] }]));
    await until(() => logs.length > before, 'the refusal to be logged');
    const entry = JSON.parse(logs.slice(before).trim().split('\n')[0] as string) as {
      msg: string;
      diagnostics: string[];
    };
    expect(entry.msg).toBe('configuration refused; the running configuration keeps serving');
    expect(entry.diagnostics.join('\n')).toContain(`${configPath}:`);
    expect(entry.diagnostics.join('\n')).toContain(
      '/endpoints/1/backend/0/url_pattern: {nope} is not a parameter',
    );
    expect(await versionAt('/x')).toBe('2');
    expect(await versionAt('/new')).toBe('new');

    const parseErrors = logs.length;
    save('{ "version": 3, ');
    await until(() => logs.length > parseErrors, 'the parse error to be logged');
    expect(logs.slice(parseErrors)).toContain('invalid JSON');
    expect(await versionAt('/x')).toBe('2');
  });
});
