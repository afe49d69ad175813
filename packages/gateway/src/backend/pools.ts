import { type buildConnector, type Client, Pool } from 'undici';
import { OwnListeners } from './own-listeners.js';
import { WaitingLine } from './waiting-line.js';

/** Which pool a backend uses and its limits (`switchyard/backend` `pool`). */
export interface PoolSpec {
  /** Backends with the same name (and limits) share one pool per host; by default each has its own. */
  name: string;
  /** Connections per host (the cap; idle ones are kept alive for reuse). */
  connections: number;
  /** Requests in flight per connection. */
  pipelining: number;
}

/**
 * undici Pools, one per host and pool spec, kept across reloads while a backend still uses them. Each
 * backend has pools of its own unless it names a shared one, so a backend that hangs holds only its own
 * connections: a hanging path cannot starve other endpoints on the same host.
 */
export class Pools {
  private readonly pools = new Map<string, WaitingLine>();
  /** The gateway's own listeners, where a backend's redirect may not lead. */
  readonly own = new OwnListeners();
  /** What every connection to a backend uses (TLS and socket options), pooled or not. */
  readonly connectOptions: buildConnector.BuildOptions = {};
  /** The options of every backend dispatcher: the pools and a redirect's one-request client. */
  readonly clientOptions: Client.Options;

  /** `keepAliveMs`: how long an idle connection stays open (undici's default when undefined). */
  constructor(keepAliveMs: number | undefined) {
    this.clientOptions = {
      connect: this.connectOptions,
      ...(keepAliveMs ? { keepAliveTimeout: keepAliveMs } : {}),
    };
  }

  static key(origin: string, spec: PoolSpec): string {
    return `${spec.name}\n${spec.connections}/${spec.pipelining}\n${origin}`;
  }

  get(origin: string, spec: PoolSpec): WaitingLine {
    const key = Pools.key(origin, spec);
    let line = this.pools.get(key);
    if (!line) {
      const pool = new Pool(origin, {
        ...this.clientOptions,
        connections: spec.connections,
        pipelining: spec.pipelining,
      });
      line = new WaitingLine(pool, spec.connections * spec.pipelining);
      this.pools.set(key, line);
    }
    return line;
  }

  /** A pool of an origin already in use (for a redirect there), without creating one. */
  existing(origin: string): Pool | undefined {
    for (const [key, line] of this.pools) if (key.endsWith(`\n${origin}`)) return line.pool;
    return undefined;
  }

  /** After a reload: closes the pools no longer used (by `key`), once requests still on them are done. */
  retain(keys: ReadonlySet<string>, graceMs: number): void {
    for (const [key, { pool }] of this.pools) {
      if (keys.has(key)) continue;
      this.pools.delete(key);
      setTimeout(() => void pool.close().catch(() => undefined), graceMs).unref();
    }
  }

  /** Waits for requests in flight on the pools (bounded by `graceMs`), then closes every connection. */
  async close(graceMs: number): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      all.map(async ({ pool }) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => undefined), graceMs);
        await pool.close().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}
