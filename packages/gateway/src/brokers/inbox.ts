import type { Scope } from '../pipeline/scope.js';
import { Waiters } from './waiters.js';

/**
 * Messages received for requests to come, and the requests waiting for one: each request takes one, or
 * waits until its scope ends. Holds at most `limit` messages; past it the oldest is dropped (and counted),
 * as a NATS client drops a slow consumer's messages past its pending limit. Without a limit it holds all:
 * for a source that bounds itself (AMQP's prefetch), where dropping would strand an unacknowledged message.
 */
export class Inbox<T> {
  private buffered: T[] = [];
  private readonly waiters = new Waiters<T>();
  dropped = 0;

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  push(message: T): void {
    if (this.waiters.give(message)) return;
    if (this.buffered.length >= this.limit) {
      this.buffered.shift();
      this.dropped++;
    }
    this.buffered.push(message);
  }

  take(scope: Scope): Promise<T> {
    if (this.buffered.length > 0) return Promise.resolve(this.buffered.shift() as T);
    return this.waiters.wait(scope);
  }

  /** Forgets the held messages that `gone` picks (their source went away; they are not counted as dropped). */
  discard(gone: (message: T) => boolean): void {
    this.buffered = this.buffered.filter((m) => !gone(m));
  }

  /** Every waiting request fails with `err` (the subscription ended). */
  fail(err: Error): void {
    this.waiters.fail(err);
  }
}
