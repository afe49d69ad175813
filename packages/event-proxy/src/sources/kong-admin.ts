import {
  createEnvelope,
  type Envelope,
  type EnvelopeOf,
  type HealthStatus,
  type Logger,
  type NodeHealthData,
  type PluginUpdatedData,
  parseSize,
  SwitchyardError,
} from '@switchyard/shared';
import { Pool } from 'undici';
import { sleep } from '../pipeline/backoff.js';

export interface KongAdminSourceOptions {
  /** Kong's Admin API base URL (KONG_ADMIN_URL). */
  adminUrl: string;
  /** Per request (KONG_ADMIN_TIMEOUT). */
  timeoutMs?: number;
  /** Pause between the end of one poll and the next. */
  pollIntervalMs?: number;
  /** Takes the events of one poll; resolves once the proxy holds them. */
  onEvents: (events: Envelope[]) => Promise<void>;
  logger: Logger;
  /** `size` of each `/plugins` page (Kong allows up to 1000). */
  pageSize?: number;
}

export const KONG_ADMIN_DEFAULTS = {
  timeoutMs: 5000,
  pollIntervalMs: 10_000,
  pageSize: 1000,
  /** A page or status answer larger than this is not Kong's: refuse it rather than buffer it. */
  maxResponseBytes: 16 * 1024 * 1024,
  /** Guards against a `next` that never ends. */
  maxPages: 10_000,
} as const;

/** The fields of Kong's plugin entity this source reads. */
interface KongPlugin {
  id: string;
  name: string;
  updated_at?: number;
  config?: unknown;
  enabled?: boolean;
  service?: { id: string } | null;
  route?: { id: string } | null;
  consumer?: { id: string } | null;
  consumer_group?: { id: string } | null;
}

interface KongPage {
  data?: KongPlugin[];
  next?: string | null;
  offset?: string | null;
}

interface KongRoot {
  node_id?: string;
  version?: string;
}

interface KongStatus {
  database?: { reachable?: boolean };
  server?: Record<string, number | undefined>;
  memory?: { workers_lua_vms?: { http_allocated_gc?: string | number }[] };
  configuration_hash?: string;
}

/** Where a plugin applies, e.g. `service:<id>,route:<id>`, or `global`. */
function scopeOf(p: KongPlugin): string {
  const parts: string[] = [];
  for (const key of ['service', 'route', 'consumer', 'consumer_group'] as const) {
    const ref = p[key];
    if (ref?.id) parts.push(`${key}:${ref.id}`);
  }
  return parts.length > 0 ? parts.join(',') : 'global';
}

/** Sum of the workers' Lua VM memory; Kong reports no RSS, this is the closest figure it gives. */
function luaMemoryBytes(status: KongStatus): number {
  let total = 0;
  for (const vm of status.memory?.workers_lua_vms ?? []) {
    try {
      if (vm.http_allocated_gc !== undefined) total += parseSize(vm.http_allocated_gc);
    } catch {
      // An unknown unit: leave that worker out rather than fail the poll.
    }
  }
  return total;
}

function changed(a: KongPlugin, b: KongPlugin): boolean {
  if (a.updated_at !== undefined || b.updated_at !== undefined) return a.updated_at !== b.updated_at;
  // Kong before 3.0 has no updated_at: compare what we report.
  return JSON.stringify([a.config, a.enabled]) !== JSON.stringify([b.config, b.enabled]);
}

/**
 * Polls a real Kong's Admin API: `GET /` for the node id and version, `GET /status` for `node_health`
 * (ok; degraded when Kong cannot reach its database; down, once per transition, when Kong itself cannot
 * be reached), and the whole paginated `GET /plugins`, diffed by id and `updated_at` into `plugin_updated`
 * events (`change: config`, old and new config; an added plugin comes from null, a removed one goes to
 * null). The first successful listing is the baseline and emits nothing. State moves on only after
 * onEvents resolved, so a refused poll is emitted again by the next one.
 */
export class KongAdminSource {
  readonly name = 'kong-admin';
  private readonly pool: Pool;
  private readonly base: URL;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly stopping = new AbortController();
  private plugins: Map<string, KongPlugin> | undefined;
  private status: HealthStatus | undefined;
  private nodeId: string;
  private version = 'unknown';
  /** When this source first saw the current node id (Kong reports no uptime). */
  private seenSince = { nodeId: '', at: 0 };
  private polling: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly o: KongAdminSourceOptions) {
    this.base = new URL(o.adminUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new SwitchyardError('SWY_INVALID_ARGUMENT', `KONG_ADMIN_URL must be http(s): ${o.adminUrl}`);
    }
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    // Until Kong answered, events carry the admin address as the node id.
    this.nodeId = this.base.host;
    this.timeoutMs = o.timeoutMs ?? KONG_ADMIN_DEFAULTS.timeoutMs;
    this.pool = new Pool(this.base.origin, {
      connections: 2,
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Polls now and then every pollIntervalMs until stop(). */
  start(): void {
    this.loop ??= (async () => {
      while (!this.stopping.signal.aborted) {
        await this.poll();
        await sleep(this.o.pollIntervalMs ?? KONG_ADMIN_DEFAULTS.pollIntervalMs, this.stopping.signal);
      }
    })();
  }

  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping.abort();
      await this.loop;
      await this.polling;
      await this.pool.close();
    })();
    return this.stopPromise;
  }

  /** One poll; never rejects (failures become a `down` node_health or a log line). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    let root: KongRoot;
    let status: KongStatus;
    try {
      root = await this.get<KongRoot>('/');
      status = await this.get<KongStatus>('/status');
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      this.o.logger.warn({ err: (err as Error).message, url: this.o.adminUrl }, 'Kong Admin API unreachable');
      if (this.status !== 'down')
        await this.emit([this.downEvent((err as Error).message)], { status: 'down' });
      return;
    }
    if (root.node_id) this.nodeId = root.node_id;
    if (root.version) this.version = root.version;
    const health = this.healthEvent(status);
    let plugins: Map<string, KongPlugin> | undefined;
    try {
      plugins = await this.listPlugins();
    } catch (err) {
      this.o.logger.warn(
        { err: (err as Error).message },
        'Kong /plugins failed; plugin changes wait for the next poll',
      );
    }
    const events: Envelope[] = [health];
    if (plugins && this.plugins) events.push(...this.diff(this.plugins, plugins));
    await this.emit(events, { status: health.data.status, plugins });
  }

  private async emit(events: Envelope[], next: { status: HealthStatus; plugins?: Map<string, KongPlugin> }) {
    try {
      await this.o.onEvents(events);
    } catch (err) {
      this.o.logger.warn(
        { err, events: events.length },
        'Kong events not accepted; the next poll emits them again',
      );
      return;
    }
    this.status = next.status;
    if (next.plugins) this.plugins = next.plugins;
  }

  private healthEvent(status: KongStatus): EnvelopeOf<'node_health'> {
    const server = status.server ?? {};
    const now = Date.now();
    if (this.seenSince.nodeId !== this.nodeId) this.seenSince = { nodeId: this.nodeId, at: now };
    const data: NodeHealthData & Record<string, unknown> = {
      status: status.database?.reachable === false ? 'degraded' : 'ok',
      // Kong reports no uptime: this is how long this source has seen the node (its id changes on restart).
      uptime_s: Math.floor((now - this.seenSince.at) / 1000),
      rss_bytes: luaMemoryBytes(status),
      event_loop_lag_ms: 0,
      // Active connections minus idle keep-alive ones: requests being read or answered.
      in_flight: (server.connections_reading ?? 0) + (server.connections_writing ?? 0),
      version: this.version,
      source: 'kong',
      database_reachable: status.database?.reachable ?? null,
      connections: server,
      ...(status.memory && { memory: status.memory }),
      ...(status.configuration_hash && { configuration_hash: status.configuration_hash }),
    };
    return createEnvelope('node_health', data, this.nodeId, now);
  }

  private downEvent(error: string): Envelope {
    const data: NodeHealthData & Record<string, unknown> = {
      status: 'down',
      uptime_s: 0,
      rss_bytes: 0,
      event_loop_lag_ms: 0,
      in_flight: 0,
      version: this.version,
      source: 'kong',
      error,
    };
    return createEnvelope('node_health', data, this.nodeId) as Envelope;
  }

  private diff(before: Map<string, KongPlugin>, after: Map<string, KongPlugin>): Envelope[] {
    const out: Envelope[] = [];
    const event = (p: KongPlugin, from: unknown, to: unknown) => {
      const data: PluginUpdatedData & { plugin_id: string } = {
        plugin: p.name,
        scope: scopeOf(p),
        change: 'config',
        from,
        to,
        plugin_id: p.id,
      };
      return createEnvelope('plugin_updated', data, this.nodeId) as Envelope;
    };
    for (const [id, now] of after) {
      const old = before.get(id);
      if (!old) out.push(event(now, null, now.config ?? null));
      else if (changed(old, now)) out.push(event(now, old.config ?? null, now.config ?? null));
    }
    for (const [id, old] of before) if (!after.has(id)) out.push(event(old, old.config ?? null, null));
    return out;
  }

  /** Every plugin, following `offset` (or the offset inside `next`) page by page. */
  private async listPlugins(): Promise<Map<string, KongPlugin>> {
    const size = this.o.pageSize ?? KONG_ADMIN_DEFAULTS.pageSize;
    const plugins = new Map<string, KongPlugin>();
    const seen = new Set<string>();
    let offset: string | null = null;
    for (let page = 0; page < KONG_ADMIN_DEFAULTS.maxPages; page++) {
      const query = new URLSearchParams({ size: String(size) });
      if (offset) query.set('offset', offset);
      const body = await this.get<KongPage>(`/plugins?${query}`);
      if (!Array.isArray(body.data)) throw new Error('/plugins: the answer has no data array');
      for (const p of body.data) if (typeof p?.id === 'string') plugins.set(p.id, p);
      // Kong gives `offset`, and `next` as a URL or path; only the offset is used, never next's host.
      offset = body.offset ?? (body.next ? new URL(body.next, this.base).searchParams.get('offset') : null);
      if (!offset) return plugins;
      if (seen.has(offset)) throw new Error(`/plugins: offset ${offset} repeats`);
      seen.add(offset);
    }
    throw new Error(`/plugins: more than ${KONG_ADMIN_DEFAULTS.maxPages} pages`);
  }

  private async get<T>(path: string): Promise<T> {
    const target = `${this.basePath}${path}`;
    try {
      const { statusCode, body } = await this.pool.request({
        method: 'GET',
        path: target,
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stopping.signal]),
      });
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length;
        if (bytes > KONG_ADMIN_DEFAULTS.maxResponseBytes) {
          body.destroy();
          throw new Error('answer too large');
        }
        chunks.push(chunk as Buffer);
      }
      if (statusCode < 200 || statusCode > 299) throw new Error(`HTTP ${statusCode}`);
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (err as Error).message;
      throw new SwitchyardError('SWY_SOURCE_UNAVAILABLE', `Kong Admin API GET ${target}: ${reason}`, {
        cause: err,
      });
    }
  }
}
