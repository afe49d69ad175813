import type { Scope } from '../pipeline/scope.js';

interface Offer<T> {
  message: T;
  taken(): void;
  refused(err: Error): void;
}

interface Waiter<T> {
  resolve(message: T): void;
  reject(err: Error): void;
}

/**
 * Messages handed from a consumer to requests one at a time: `offer` resolves once a request took the
 * message, so the consumer fetches (and commits) no further than requests read, and the gateway holds no
 * more than the offers under way. A request takes an offered message or waits until its scope ends.
 */
export class Handoff<T> {
  private offers: Offer<T>[] = [];
  private waiters: Waiter<T>[] = [];

  /** Resolves when a request took `message`; rejects when `fail` is called first. */
  offer(message: T): Promise<void> {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(message);
      return Promise.resolve();
    }
    return new Promise<void>((taken, refused) => {
      this.offers.push({ message, taken, refused });
    });
  }

  take(scope: Scope): Promise<T> {
    const offer = this.offers.shift();
    if (offer) {
      offer.taken();
      return Promise.resolve(offer.message);
    }
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

  /** Offers not taken are refused with `err` (their messages are not committed); waiting requests fail. */
  fail(err: Error): void {
    const offers = this.offers;
    const waiters = this.waiters;
    this.offers = [];
    this.waiters = [];
    for (const o of offers) o.refused(err);
    for (const w of waiters) w.reject(err);
  }

  /** Refuses one offer still waiting (the consumer must give it up, e.g. to rejoin its group). */
  withdraw(message: T, err: Error): void {
    const i = this.offers.findIndex((o) => o.message === message);
    if (i < 0) return;
    const [offer] = this.offers.splice(i, 1);
    offer?.refused(err);
  }
}
