import type { Scope } from '../pipeline/scope.js';

/** Requests waiting for a message, first come first served; one leaves the queue when its scope ends. */
export class Waiters<T> {
  private queue: { resolve(m: T): void; reject(err: Error): void }[] = [];

  /** Hands `message` to the longest-waiting request; false when none waits. */
  give(message: T): boolean {
    const waiter = this.queue.shift();
    if (!waiter) return false;
    waiter.resolve(message);
    return true;
  }

  /** Resolves with the message given to this request, or rejects when its scope ends first. */
  wait(scope: Scope): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.queue.push(waiter);
      scope.add({
        abort: (err) => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(err);
        },
      });
    });
  }

  /** Every waiting request fails with `err`. */
  fail(err: Error): void {
    const queue = this.queue;
    this.queue = [];
    for (const w of queue) w.reject(err);
  }
}
