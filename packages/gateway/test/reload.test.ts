import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { GatewayFile } from '@switchyard/config';
import {
  type ConfigWatcher,
  type ConfigWatcherOptions,
  createGateway,
  type Gateway,
  namespaceChanges,
  type ReloadOutcome,
  watchGatewayConfig,
} from '@switchyard/gateway';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { quietLogger } from './support/gateway.js';
import { until } from './support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'swy-reload-'));
let backend: TestBackend;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  backend = await startBackend(
    routes({
      '/one': { version: 1 },
      '/two': { version: 2 },
    }),
  );
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('namespaceChanges', () => {
  const base: GatewayFile = {
    version: 3,
    extra_config: { router: { return_error_msg: true }, '@comment': 'x' },
    endpoints: [
      {
        endpoint: '/a',
        extra_config: { 'qos/ratelimit/router': { max_rate: 10 } },
        backend: [
          {
            url_pattern: '/x',
            extra_config: { 'qos/circuit-breaker': { interval: 60, timeout: 10, max_errors: 5 } },
          },
        ],
      },
    ],
  };

  it('finds nothing between equal files, comments aside', () => {
    const same = structuredClone(base);
    (same.extra_config as Record<string, unknown>)['@comment'] = 'changed';
    expect(namespaceChanges(base, same)).toEqual([]);
  });

  it('names each changed namespace with its scope, old and new settings (null when absent)', () => {
    const next = structuredClone(base);
    (next.extra_config as Record<string, unknown>).router = { return_error_msg: false };
    const ep = next.endpoints?.[0] as NonNullable<GatewayFile['endpoints']>[number];
    ep.extra_config = {};
    (ep.backend[0] as { extra_config: Record<string, unknown> }).extra_config['qos/circuit-breaker'] = {
      interval: 60,
      timeout: 10,
      max_errors: 3,
    };
    next.endpoints?.push({
      endpoint: '/b',
      method: 'POST',
      backend: [{ url_pattern: '/y', extra_config: { 'backend/http': { return_error_code: true } } }],
    });
    expect(namespaceChanges(base, next)).toEqual([
      { plugin: 'router', scope: 'root', from: { return_error_msg: true }, to: { return_error_msg: false } },
      { plugin: 'qos/ratelimit/router', scope: 'GET /a', from: { max_rate: 10 }, to: null },
      {
        plugin: 'qos/circuit-breaker',
        scope: 'GET /a backend[0] /x',
        from: { interval: 60, timeout: 10, max_errors: 5 },
        to: { interval: 60, timeout: 10, max_errors: 3 },
      },
      { plugin: 'backend/http', scope: 'POST /b backend[0] /y', from: null, to: { return_error_code: true } },
    ]);
  });
});

function file(name: string, url_pattern: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      version: 3,
      host: [backend.origin],
      extra_config: extra,
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern }] }],
    }),
  );
  return path;
}

async function gatewayOn(
  config: GatewayFile,
): Promise<{ gateway: Gateway; port: number; events: Envelope[] }> {
  const gateway = createGateway({ config, logger: quietLogger(), host: '127.0.0.1', port: 0, admin: false });
  closers.push(() => gateway.close());
  const events: Envelope[] = [];
  gateway.events.subscribe((e) => events.push(e));
  const { port } = await gateway.listen();
  return { gateway, port, events };
}

/** A watcher on `path` for `gateway` (closed after the file's tests) and the outcomes it reported. */
function watch(
  path: string,
  gateway: Gateway,
  options: Pick<ConfigWatcherOptions, 'watchFile' | 'signal' | 'debounceMs'>,
): { watcher: ConfigWatcher; outcomes: ReloadOutcome[] } {
  const outcomes: ReloadOutcome[] = [];
  const watcher = watchGatewayConfig({
    file: path,
    gateway,
    logger: quietLogger(),
    ...options,
    onReload: (o) => outcomes.push(o),
  });
  closers.push(() => watcher.close());
  return { watcher, outcomes };
}

const version = async (port: number) => JSON.parse((await send(port, '/v')).body).version as number;

describe('watchGatewayConfig', () => {
  it('reloads on SIGHUP, emitting plugin_updated for the changed namespace', async () => {
    const path = file('hup.json', '/one', { router: { return_error_msg: false } });
    const { gateway, port, events } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      extra_config: { router: { return_error_msg: false } },
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const { outcomes } = watch(path, gateway, { watchFile: false });
    expect(await version(port)).toBe(1);
    file('hup.json', '/two', { router: { return_error_msg: true } });
    process.kill(process.pid, 'SIGHUP');
    await until(() => outcomes.length > 0);
    expect(outcomes[0]).toMatchObject({ ok: true, trigger: 'signal' });
    expect(await version(port)).toBe(2);
    expect(events.filter((e) => e.event_type === 'plugin_updated').map((e) => e.data)).toEqual([
      {
        plugin: 'router',
        scope: 'root',
        change: 'config',
        from: { return_error_msg: false },
        to: { return_error_msg: true },
      },
    ]);
  });

  it('follows a file replaced by rename (as editors save), and ignores a write that changes nothing', async () => {
    const path = file('edit.json', '/one');
    const { gateway, port } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const { outcomes } = watch(path, gateway, { signal: null, debounceMs: 50 });
    await new Promise((r) => setTimeout(r, 100)); // the watcher read the file's first content
    file('edit.json.swp', '/two');
    renameSync(join(dir, 'edit.json.swp'), path);
    await until(() => outcomes.some((o) => o.ok && !('unchanged' in o && o.unchanged)));
    expect(await version(port)).toBe(2);
    const count = outcomes.length;
    file('edit.json', '/two'); // the same content again
    await until(() => outcomes.length > count);
    expect(outcomes.at(-1)).toMatchObject({ ok: true, unchanged: true });
  });

  it('refuses a file KrakenD refuses, with the diagnostics check prints; the running configuration keeps serving', async () => {
    const path = file('bad.json', '/one');
    const { gateway, port } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const { watcher } = watch(path, gateway, { signal: null, watchFile: false });
    writeFileSync(
      path,
      JSON.stringify({
        version: 3,
        host: [backend.origin],
        endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/two/{id}' }] }],
      }),
    );
    const outcome = await watcher.reload();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('SWY_CONFIG_INVALID');
    expect(outcome.diagnostics.map((d) => d.pointer)).toContain('/endpoints/0/backend/0/url_pattern');
    expect(await version(port)).toBe(1);
  });

  it('applies a file with keys KrakenD ignores, logging a warning for each', async () => {
    const path = file('unknown.json', '/one');
    const { gateway, port } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const logged: { msg: string; diagnostic?: string }[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _enc, done) {
          logged.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    });
    const watcher = watchGatewayConfig({ file: path, gateway, logger, signal: null, watchFile: false });
    closers.push(() => watcher.close());
    const text = JSON.stringify({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/two', timeout: '1s' }] }],
    });
    writeFileSync(path, text);
    expect((await watcher.reload()).ok).toBe(true);
    expect(await version(port)).toBe(2);
    expect(logged.map((l) => l.diagnostic)).toEqual([
      `${path}:1:${text.indexOf('"timeout"') + 1} warning /endpoints/0/backend/0/timeout: unknown key; ignored`,
    ]);
  });
});

describe('watchGatewayConfig with Flexible Configuration and other formats', () => {
  it('watches the template, settings and partials, and reloads when a settings file or a partial changes', async () => {
    const fc = join(dir, 'fc');
    mkdirSync(join(fc, 'settings'), { recursive: true });
    mkdirSync(join(fc, 'partials'), { recursive: true });
    const template = join(fc, 'krakend.tmpl');
    writeFileSync(
      template,
      '{ "version": 3, "host": {{ include "hosts.json" }},\n  "endpoints": [{ "endpoint": "/v", "backend": [{ "url_pattern": "{{ .svc.path }}" }] }] }\n',
    );
    const settings = join(fc, 'settings', 'svc.json');
    const partial = join(fc, 'partials', 'hosts.json');
    writeFileSync(settings, JSON.stringify({ path: '/one' }));
    writeFileSync(partial, JSON.stringify([backend.origin]));
    const { gateway, port } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const outcomes: ReloadOutcome[] = [];
    const watcher = watchGatewayConfig({
      file: template,
      gateway,
      logger: quietLogger(),
      env: { FC_ENABLE: '1', FC_SETTINGS: join(fc, 'settings'), FC_PARTIALS: join(fc, 'partials') },
      signal: null,
      debounceMs: 50,
      onReload: (o) => outcomes.push(o),
    });
    closers.push(() => watcher.close());
    await until(() => watcher.watched.length === 3);
    expect([...watcher.watched].sort()).toEqual([partial, settings, template].sort());

    writeFileSync(settings, JSON.stringify({ path: '/two' }));
    await until(() => outcomes.some((o) => o.ok && !('unchanged' in o && o.unchanged)));
    expect(await version(port)).toBe(2);

    writeFileSync(partial, '[ "not closed"');
    await until(() => outcomes.some((o) => !o.ok));
    const refused = outcomes.find((o) => !o.ok);
    expect(refused && !refused.ok && refused.error.code).toBe('SWY_CONFIG_PARSE');
    expect(await version(port)).toBe(2);
  });

  it('reloads a YAML file', async () => {
    const path = join(dir, 'krakend.yaml');
    const yaml = (p: string) =>
      `version: 3\nhost: ["${backend.origin}"]\nendpoints:\n  - endpoint: /v\n    backend:\n      - url_pattern: ${p}\n`;
    writeFileSync(path, yaml('/one'));
    const { gateway, port } = await gatewayOn({
      version: 3,
      host: [backend.origin],
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const { watcher } = watch(path, gateway, { signal: null, watchFile: false });
    writeFileSync(path, yaml('/two'));
    expect(await watcher.reload()).toMatchObject({ ok: true });
    expect(await version(port)).toBe(2);
  });
});

describe('gateway.reload and telemetry/events', () => {
  it('applies new event settings to the hub at once', async () => {
    const config = (types: string[]): GatewayFile => ({
      version: 3,
      host: [backend.origin],
      extra_config: { 'telemetry/events': { types } as never },
      endpoints: [{ endpoint: '/v', backend: [{ url_pattern: '/one' }] }],
    });
    const { gateway, port, events } = await gatewayOn(config(['request', 'response', 'plugin_updated']));
    await send(port, '/v');
    expect(events.map((e) => e.event_type)).toEqual(['request', 'response']);
    gateway.reload(config(['response', 'plugin_updated']));
    events.length = 0;
    await send(port, '/v');
    await until(() => events.length > 0);
    expect(events.map((e) => e.event_type)).toEqual(['response']);
  });
});
