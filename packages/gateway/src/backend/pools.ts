import { Pool } from 'undici';

export interface PoolOptions {
  /** Connections per origin (the cap; idle ones are kept alive for reuse). */
  connections: number;
  /** How long an idle connection stays open. */
  keepAliveMs: number | undefined;
}

/** One undici Pool per backend origin, shared by every endpoint (and kept across reloads). */
export class Pools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: PoolOptions) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: 1,
        ...(this.options.keepAliveMs ? { keepAliveTimeout: this.options.keepAliveMs } : {}),
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** The pool of an origin already in use, without creating one. */
  existing(origin: string): Pool | undefined {
    return this.pools.get(origin);
  }

  /** After a reload: closes the pools of origins no longer used, once requests still on them are done. */
  retain(origins: ReadonlySet<string>, graceMs: number): void {
    for (const [origin, pool] of this.pools) {
      if (origins.has(origin)) continue;
      this.pools.delete(origin);
      setTimeout(() => void pool.close().catch(() => undefined), graceMs).unref();
    }
  }

  /** Waits for requests in flight on the pools (bounded by `graceMs`), then closes every connection. */
  async close(graceMs: number): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      all.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => undefined), graceMs);
        await pool.close().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}
