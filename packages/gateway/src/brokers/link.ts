import { SwitchyardError } from '@switchyard/shared';
import { FAILURE_STATUS } from '../errors/status.js';

/** Pacing of reconnect attempts: 100 ms doubling to 10 s. A request inside the pause fails at once. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;

/** The broker of a backend is not connected: the request fails (500, as KrakenD's), a reconnect is under way. */
export function brokerUnavailable(what: string, cause?: unknown): SwitchyardError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new SwitchyardError(
    'SWY_BROKER_UNAVAILABLE',
    `${what}: connection not available, trying to reconnect${why}`,
    { status: FAILURE_STATUS.SWY_BROKER_UNAVAILABLE, details: { broker: what }, cause },
  );
}

/**
 * A broker-side resource (a consumer, a publishing channel) opened at route build and re-opened on demand
 * after it is lost, as krakend-amqp reconnects on the request that finds its connection closed. Requests
 * wait for an attempt under way; between failed attempts they fail fast, so a broker that is down costs
 * nothing but the error.
 */
export class Link<T> {
  private current: T | null = null;
  private opening: Promise<T> | null = null;
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    /** What errors and logs name: `amqp://host/queue`. */
    readonly what: string,
    private readonly open: () => Promise<T>,
    private readonly shut: (resource: T) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Connects now, so the first request does not pay for it. */
  start(): void {
    this.get().catch(() => {});
  }

  /** The open resource, the attempt under way, or a fast failure while the last attempt's pause lasts. */
  get(): Promise<T> {
    if (this.current) return Promise.resolve(this.current);
    if (this.opening) return this.opening;
    if (this.closed) return Promise.reject(brokerUnavailable(this.what, new Error('closed')));
    if (this.now() < this.retryAt) return Promise.reject(brokerUnavailable(this.what));
    const opening = this.open().then(
      (resource) => {
        this.opening = null;
        this.failures = 0;
        if (this.closed) {
          void this.shut(resource).catch(() => {});
          throw brokerUnavailable(this.what, new Error('closed'));
        }
        this.current = resource;
        return resource;
      },
      (err: unknown) => {
        this.opening = null;
        this.failures++;
        this.retryAt = this.now() + Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
        throw brokerUnavailable(this.what, err);
      },
    );
    this.opening = opening;
    return opening;
  }

  /** The resource was lost (its channel or connection closed): the next request opens a new one. */
  lost(resource: T): void {
    if (this.current === resource) this.current = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    const resource = this.current;
    this.current = null;
    if (resource) await this.shut(resource).catch(() => {});
  }
}
