import type { Scope } from '../pipeline/scope.js';

/**
 * Messages received for requests to come, and the requests waiting for one: each request takes one, or
 * waits until its scope ends. Holds at most `limit` messages; past it the oldest is dropped (and counted),
 * as a NATS client drops a slow consumer's messages past its pending limit.
 */
export class Inbox<T> {
  private buffered: T[] = [];
  private waiters: { resolve(m: T): void; reject(err: Error): void }[] = [];
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(message: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(message);
      return;
    }
    if (this.buffered.length >= this.limit) {
      this.buffered.shift();
      this.dropped++;
    }
    this.buffered.push(message);
  }

  take(scope: Scope): Promise<T> {
    if (this.buffered.length > 0) return Promise.resolve(this.buffered.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      scope.add({
        abort: (err) => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(err);
        },
      });
    });
  }

  /** Every waiting request fails with `err` (the subscription ended). */
  fail(err: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }
}
