import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Envelope, envelopeProblems } from '@switchyard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KongAdminSource, type KongAdminSourceOptions } from '../src/sources/kong-admin.js';

const logger = createLogger({ level: 'silent' });
const NODE_ID = '6a72192c-a3a1-4c8d-95c6-efabae9fb969';

// Response shapes as Kong's Admin API documents them (GET /, GET /status, GET /plugins).
const root = () => ({
  hostname: 'kong-1',
  node_id: NODE_ID,
  lua_version: 'LuaJIT 2.1.0-20231117',
  plugins: {
    available_on_server: { 'rate-limiting': { version: '3.9.1', priority: 910 } },
    enabled_in_cluster: [],
  },
  configuration: { admin_listen: ['127.0.0.1:8001'], database: 'postgres' },
  tagline: 'Welcome to kong',
  version: '3.9.1',
  edition: 'community',
});

const status = (reachable = true) => ({
  database: { reachable },
  memory: {
    workers_lua_vms: [
      { http_allocated_gc: '0.02 MiB', pid: 18477 },
      { http_allocated_gc: '1.50 MiB', pid: 18478 },
    ],
    lua_shared_dicts: {
      kong: { allocated_slabs: '0.04 MiB', capacity: '5.00 MiB' },
      kong_db_cache: { allocated_slabs: '0.80 MiB', capacity: '128.00 MiB' },
    },
  },
  server: {
    total_requests: 3,
    connections_active: 5,
    connections_accepted: 9,
    connections_handled: 9,
    connections_reading: 1,
    connections_writing: 2,
    connections_waiting: 2,
  },
  configuration_hash: '779742c3d7afbd3d84a4b0a1e2b9bd4e',
});

interface Plugin {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  route: { id: string } | null;
  service: { id: string } | null;
  consumer: { id: string } | null;
  config: Record<string, unknown>;
  protocols: string[];
  enabled: boolean;
  tags: string[] | null;
}

const plugin = (
  id: string,
  name: string,
  config: Record<string, unknown>,
  over: Partial<Plugin> = {},
): Plugin => ({
  id,
  name,
  created_at: 1422386534,
  updated_at: 1422386534,
  route: null,
  service: null,
  consumer: null,
  config,
  protocols: ['http', 'https'],
  enabled: true,
  tags: null,
  ...over,
});

/** A local server answering as Kong does; pages of 2, with the three `next` forms Kong versions use. */
async function fakeKong() {
  const state = {
    plugins: [
      plugin('02621eee-8309-4bf6-b36b-a82017a5393e', 'rate-limiting', { minute: 20, hour: 500 }),
      plugin(
        '66c7b5c4-4aaf-4119-af1e-ee3ad75d0af4',
        'key-auth',
        { key_names: ['apikey'] },
        {
          service: { id: 'svc-1' },
        },
      ),
      plugin('a4407883-c166-43fd-80ca-3ca035b0cdb7', 'cors', { origins: ['*'] }, { route: { id: 'rt-1' } }),
      plugin(
        '01c23299-839c-49a5-a6d5-8864c09184af',
        'acl',
        { allow: ['admins'] },
        {
          route: { id: 'rt-2' },
          consumer: { id: 'c-1' },
        },
      ),
      plugin('ec1a1f6f-2aa4-4e58-93ff-b56368f19b27', 'http-log', { http_endpoint: 'http://log' }),
    ],
    databaseReachable: true,
    delayMs: 0,
    pluginsStatus: 200,
    requests: [] as string[],
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://kong');
    state.requests.push(url.pathname + url.search);
    const send = (code: number, body: unknown) => {
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (state.delayMs > 0) setTimeout(reply, state.delayMs);
      else reply();
    };
    if (url.pathname === '/admin/') return send(200, root());
    if (url.pathname === '/admin/status') return send(200, status(state.databaseReachable));
    if (url.pathname === '/admin/plugins') {
      if (state.pluginsStatus !== 200)
        return send(state.pluginsStatus, { message: 'An unexpected error occurred' });
      const start = Number(Buffer.from(url.searchParams.get('offset') ?? 'MA==', 'base64').toString()) || 0;
      const data = state.plugins.slice(start, start + 2);
      const more = start + 2 < state.plugins.length;
      const offset = Buffer.from(String(start + 2)).toString('base64');
      // Page 1: offset and an absolute next on another host (Kong builds it from its own listener);
      // page 2: a relative next only; last page: next null.
      if (!more) return send(200, { data, next: null });
      if (start === 0)
        return send(200, { data, offset, next: `http://localhost:8001/plugins?offset=${offset}` });
      return send(200, { data, next: `/plugins?offset=${encodeURIComponent(offset)}` });
    }
    send(404, { message: 'Not found' });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { state, url: `http://127.0.0.1:${port}/admin`, server };
}

const servers: Server[] = [];
const sources: KongAdminSource[] = [];

function kong(options: Partial<KongAdminSourceOptions> & Pick<KongAdminSourceOptions, 'adminUrl'>) {
  const batches: Envelope[][] = [];
  const s = new KongAdminSource({
    logger,
    timeoutMs: 2000,
    onEvents: async (events) => {
      batches.push(events);
    },
    ...options,
  });
  sources.push(s);
  return { s, batches };
}

afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

const ofType = (events: Envelope[], type: string) => events.filter((e) => e.event_type === type);

describe('KongAdminSource', () => {
  it('maps /status to node_health and records the plugin baseline across pages without emitting', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url, pageSize: 2 });
    await s.poll();
    expect(batches).toHaveLength(1);
    const [health] = batches[0] as Envelope[];
    expect(batches[0]).toHaveLength(1);
    expect(envelopeProblems(health)).toEqual([]);
    expect(health).toMatchObject({ event_type: 'node_health', kong_node_id: NODE_ID });
    expect(health?.data).toMatchObject({
      status: 'ok',
      version: '3.9.1',
      in_flight: 3, // reading 1 + writing 2
      rss_bytes: Math.floor(0.02 * 1024 ** 2) + Math.floor(1.5 * 1024 ** 2),
      event_loop_lag_ms: 0,
      source: 'kong',
      database_reachable: true,
      connections: { connections_active: 5, connections_waiting: 2 },
      configuration_hash: '779742c3d7afbd3d84a4b0a1e2b9bd4e',
    });
    const pages = k.state.requests.filter((r) => r.startsWith('/admin/plugins'));
    expect(pages).toEqual([
      '/admin/plugins?size=2',
      `/admin/plugins?size=2&offset=${encodeURIComponent(Buffer.from('2').toString('base64'))}`,
      `/admin/plugins?size=2&offset=${encodeURIComponent(Buffer.from('4').toString('base64'))}`,
    ]);
  });

  it('emits plugin_updated for a changed, an added and a removed plugin, with old and new config', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url, pageSize: 2 });
    await s.poll();
    const [rateLimit, keyAuth, cors, acl] = k.state.plugins as [Plugin, Plugin, Plugin, Plugin, Plugin];
    k.state.plugins = [
      { ...rateLimit, config: { minute: 50, hour: 500 }, updated_at: rateLimit.updated_at + 60 },
      keyAuth, // unchanged
      { ...cors, tags: ['x'] }, // same updated_at: not a change Kong recorded
      acl,
      plugin(
        'b1b2c3d4-0000-4000-8000-000000000001',
        'request-termination',
        { status_code: 503 },
        {
          service: { id: 'svc-9' },
        },
      ),
      // http-log removed
    ];
    await s.poll();
    const updates = ofType(batches[1] as Envelope[], 'plugin_updated');
    for (const u of updates) expect(envelopeProblems(u)).toEqual([]);
    expect(updates.map((u) => u.data)).toEqual([
      {
        plugin: 'rate-limiting',
        scope: 'global',
        change: 'config',
        from: { minute: 20, hour: 500 },
        to: { minute: 50, hour: 500 },
        plugin_id: rateLimit.id,
      },
      {
        plugin: 'request-termination',
        scope: 'service:svc-9',
        change: 'config',
        from: null,
        to: { status_code: 503 },
        plugin_id: 'b1b2c3d4-0000-4000-8000-000000000001',
      },
      {
        plugin: 'http-log',
        scope: 'global',
        change: 'config',
        from: { http_endpoint: 'http://log' },
        to: null,
        plugin_id: 'ec1a1f6f-2aa4-4e58-93ff-b56368f19b27',
      },
    ]);
    expect(updates.every((u) => u.kong_node_id === NODE_ID)).toBe(true);

    await s.poll();
    expect(ofType(batches[2] as Envelope[], 'plugin_updated')).toEqual([]);
  });

  it('names the scope of route, service and consumer plugins', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url });
    await s.poll();
    k.state.plugins = k.state.plugins.map((p) => ({ ...p, updated_at: p.updated_at + 1 }));
    await s.poll();
    const scopes = ofType(batches[1] as Envelope[], 'plugin_updated').map(
      (u) => (u.data as { scope: string }).scope,
    );
    expect(scopes).toEqual(['global', 'service:svc-1', 'route:rt-1', 'route:rt-2,consumer:c-1', 'global']);
  });

  it('reports degraded when Kong cannot reach its database', async () => {
    const k = await fakeKong();
    k.state.databaseReachable = false;
    const { s, batches } = kong({ adminUrl: k.url });
    await s.poll();
    expect(batches[0]?.[0]?.data).toMatchObject({ status: 'degraded', database_reachable: false });
  });

  it('reports down once per transition when Kong times out, keeps its baseline, and recovers', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url, timeoutMs: 100 });
    await s.poll();
    k.state.delayMs = 1000;
    await s.poll();
    await s.poll(); // still down: nothing new
    expect(batches).toHaveLength(2);
    const down = batches[1]?.[0] as Envelope;
    expect(envelopeProblems(down)).toEqual([]);
    expect(down.data).toMatchObject({
      status: 'down',
      version: '3.9.1',
      source: 'kong',
      error: expect.stringMatching(/no answer within 100 ms/),
    });
    expect(down.kong_node_id).toBe(NODE_ID);

    k.state.delayMs = 0;
    k.state.plugins = k.state.plugins.slice(1);
    await s.poll();
    expect(batches).toHaveLength(3);
    expect(batches[2]?.[0]?.data).toMatchObject({ status: 'ok' });
    // The baseline survived the outage: the one removal shows, nothing else.
    expect(
      ofType(batches[2] as Envelope[], 'plugin_updated').map((u) => (u.data as { to: unknown }).to),
    ).toEqual([null]);
  });

  it('reports down for a Kong that refuses connections, without throwing', async () => {
    const k = await fakeKong();
    const closed = k.url;
    k.server.closeAllConnections();
    await new Promise((r) => k.server.close(r));
    servers.splice(servers.indexOf(k.server), 1);
    const { s, batches } = kong({ adminUrl: closed });
    await s.poll();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.[0]).toMatchObject({ event_type: 'node_health', data: { status: 'down' } });
    expect(batches[0]?.[0]?.kong_node_id).toBe(new URL(closed).host);
  });

  it('keeps the baseline when /plugins fails, and diffs against it on the next good poll', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url });
    await s.poll();
    k.state.pluginsStatus = 500;
    k.state.plugins = k.state.plugins.slice(0, 4);
    await s.poll();
    expect(batches[1]?.map((e) => e.event_type)).toEqual(['node_health']);
    k.state.pluginsStatus = 200;
    await s.poll();
    expect(ofType(batches[2] as Envelope[], 'plugin_updated')).toHaveLength(1);
  });

  it('emits a refused poll again on the next one', async () => {
    const k = await fakeKong();
    let refuse = false;
    const accepted: Envelope[][] = [];
    const { s } = kong({
      adminUrl: k.url,
      onEvents: async (events) => {
        if (refuse) throw new Error('queue full');
        accepted.push(events);
      },
    });
    await s.poll();
    k.state.plugins = k.state.plugins.slice(1);
    refuse = true;
    await s.poll();
    refuse = false;
    await s.poll();
    expect(ofType(accepted[1] as Envelope[], 'plugin_updated')).toHaveLength(1);
  });

  it('polls every pollIntervalMs after start() until stop()', async () => {
    const k = await fakeKong();
    const { s, batches } = kong({ adminUrl: k.url, pollIntervalMs: 10 });
    s.start();
    await vi.waitFor(() => expect(batches.length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
    await s.stop();
    const count = batches.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(batches.length).toBe(count);
  });
});
