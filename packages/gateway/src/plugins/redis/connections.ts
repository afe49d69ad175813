import { isDeepStrictEqual } from 'node:util';
import type { RedisNamespace } from '@switchyard/config';
import { type Logger, parseDuration, SwitchyardError } from '@switchyard/shared';
import { Redis } from 'ioredis';
import { TAKE_TOKEN_LUA } from './token-bucket.lua.js';

type PoolSettings = NonNullable<RedisNamespace['connection_pools']>[number];

/** How long one rate-limit decision may wait on Redis before the node's own counter decides. */
const DEFAULT_COMMAND_TIMEOUT_MS = 250;
const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
/** Reconnect backoff while Redis is away: 100 ms, 200 ms, … up to 2 s, for as long as it takes. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 2000);

/** One named connection's state, for `/metrics` and the logs. */
export interface RedisStatus {
  connection: string;
  /** True while decisions fall back to the node's own counters. */
  degraded: boolean;
  /** Decisions taken by the node's own counters because Redis did not answer. */
  fallbacks: number;
}

type ScriptedRedis = Redis & {
  swyTakeToken(key: string, capacity: number, perMs: number): Promise<number>;
};

/**
 * One `redis.connection_pools[]` entry: an ioredis client (one multiplexed connection is the pool: every
 * command is pipelined on it) that answers rate-limit decisions. Commands never queue while Redis is
 * away (`enableOfflineQueue: false`) and time out after `read_timeout`, so an outage costs a request at
 * most that long before the caller falls back; the outage and the recovery are each logged once.
 */
export class RedisConnection {
  private readonly client: ScriptedRedis;
  private degraded = false;
  private fallbacks = 0;

  constructor(
    readonly name: string,
    readonly settings: PoolSettings,
    private readonly logger: Logger,
  ) {
    const { host, port } = hostPort(settings.address, name);
    const client = new Redis({
      host,
      port,
      db: settings.db ?? settings.database ?? 0,
      ...(settings.username !== undefined && { username: settings.username }),
      ...(settings.password !== undefined && { password: settings.password }),
      connectionName: settings.client_name ?? 'switchyard',
      connectTimeout: duration(settings.dial_timeout, DEFAULT_CONNECT_TIMEOUT_MS),
      commandTimeout: duration(settings.read_timeout, DEFAULT_COMMAND_TIMEOUT_MS),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: reconnectDelay,
    });
    client.defineCommand('swyTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN_LUA });
    // ioredis reports connection errors as events; the decisions that fail report the outage.
    client.on('error', () => {});
    this.client = client as ScriptedRedis;
  }

  /** Takes one token of the bucket `key`; rejects when Redis cannot answer. */
  async take(key: string, capacity: number, perMs: number): Promise<boolean> {
    return (await this.client.swyTakeToken(key, capacity, perMs)) === 1;
  }

  /** Redis answered: leaves degraded mode if in it. */
  answered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info({ connection: this.name }, 'Redis answers again: rate limits are cluster-wide again');
  }

  /** Redis did not answer: the caller decides on its own counter; the first failure is logged. */
  failed(err: unknown): void {
    this.fallbacks++;
    if (this.degraded) return;
    this.degraded = true;
    const error = new SwitchyardError(
      'SWY_RATELIMIT_STORE_UNAVAILABLE',
      `Redis ${this.name}: ${message(err)}`,
      {
        cause: err,
      },
    );
    this.logger.warn(
      { connection: this.name, err: error },
      "Redis unreachable: rate limits fall back to this node's own counters until it answers",
    );
  }

  get status(): RedisStatus {
    return { connection: this.name, degraded: this.degraded, fallbacks: this.fallbacks };
  }

  /** Resolves once connected, or after `ms` (the gateway starts anyway, on its own counters). */
  ready(ms: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.client.once('ready', done);
    });
  }

  close(): void {
    this.client.disconnect();
  }
}

/**
 * The `redis` namespace's connections, by name. A reload keeps a connection whose settings did not change
 * and closes those no longer configured once the new routes are in force.
 */
export class RedisConnections {
  private current = new Map<string, RedisConnection>();
  private pending: Map<string, RedisConnection> | null = null;

  constructor(private readonly logger: Logger) {}

  /** Opens (or keeps) the connections of `cfg`; `commit` or `abandon` must follow. */
  prepare(cfg: RedisNamespace | undefined): void {
    const next = new Map<string, RedisConnection>();
    for (const pool of cfg?.connection_pools ?? []) {
      if (next.has(pool.name))
        throw new SwitchyardError(
          'SWY_CONFIG_INVALID',
          `redis.connection_pools: the name ${pool.name} is used twice`,
        );
      const old = this.current.get(pool.name);
      next.set(
        pool.name,
        old && isDeepStrictEqual(old.settings, pool)
          ? old
          : new RedisConnection(pool.name, pool, this.logger),
      );
    }
    if (cfg?.clusters?.length)
      this.logger.warn({ setting: 'redis.clusters' }, 'Redis Cluster is not supported yet; ignored');
    this.pending = next;
  }

  /** The connection `name` of the configuration being prepared. */
  get(name: string, where: string): RedisConnection {
    const c = this.pending?.get(name);
    if (!c)
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: connection_name ${JSON.stringify(name)} is not in redis.connection_pools`,
      );
    return c;
  }

  commit(): void {
    if (!this.pending) return;
    for (const [name, c] of this.current) if (this.pending.get(name) !== c) c.close();
    this.current = this.pending;
    this.pending = null;
  }

  abandon(): void {
    if (!this.pending) return;
    for (const [name, c] of this.pending) if (this.current.get(name) !== c) c.close();
    this.pending = null;
  }

  statuses(): RedisStatus[] {
    return [...this.current.values()].map((c) => c.status);
  }

  async ready(ms: number): Promise<void> {
    await Promise.all([...this.current.values()].map((c) => c.ready(ms)));
  }

  close(): void {
    for (const c of this.current.values()) c.close();
    this.current.clear();
  }
}

function hostPort(address: string, name: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535)
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `redis.connection_pools ${name}: address ${JSON.stringify(address)} is not host:port`,
    );
  return { host: (m[1] ?? m[2]) as string, port };
}

const duration = (d: string | undefined, fallback: number) => (d === undefined ? fallback : parseDuration(d));
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
