/**
 * A token bucket: `capacity` tokens when full, refilled at `rate` tokens per `everyMs`. Starts full, as
 * KrakenD's buckets do.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private readonly perMs: number;

  constructor(
    private readonly capacity: number,
    rate: number,
    everyMs: number,
  ) {
    this.tokens = capacity;
    this.perMs = rate / everyMs;
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** KrakenD's default capacity: the rate, or 1 for a rate below one. */
export const defaultCapacity = (rate: number): number => Math.max(1, Math.floor(rate));

/**
 * One bucket per client, bounded: the least recently seen client is forgotten beyond `max` (a Map keeps
 * insertion order, and a client is moved to the end when seen). Forgetting a client only refills its bucket.
 */
export class ClientBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly make: () => TokenBucket,
    private readonly max: number,
  ) {}

  take(client: string): boolean {
    let bucket = this.buckets.get(client);
    if (bucket) this.buckets.delete(client);
    else {
      bucket = this.make();
      if (this.buckets.size >= this.max) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(client, bucket);
    return bucket.take();
  }

  get size(): number {
    return this.buckets.size;
  }
}
