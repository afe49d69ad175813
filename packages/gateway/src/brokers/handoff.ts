import type { Scope } from '../pipeline/scope.js';
import { Waiters } from './waiters.js';

interface Offer<T> {
  message: T;
  taken(): void;
  refused(err: Error): void;
}

/**
 * Messages handed from a consumer to requests one at a time: `offer` resolves once a request took the
 * message, so the consumer fetches (and commits) no further than requests read, and the gateway holds no
 * more than the offers under way. A request takes an offered message or waits until its scope ends.
 */
export class Handoff<T> {
  private offers: Offer<T>[] = [];
  private readonly waiters = new Waiters<T>();

  /** Resolves when a request took `message`; rejects when `fail` is called first. */
  offer(message: T): Promise<void> {
    if (this.waiters.give(message)) return Promise.resolve();
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
    return this.waiters.wait(scope);
  }

  /** Offers not taken are refused with `err` (their messages are not committed); waiting requests fail. */
  fail(err: Error): void {
    const offers = this.offers;
    this.offers = [];
    for (const o of offers) o.refused(err);
    this.waiters.fail(err);
  }

  /** Refuses one offer still waiting (the consumer must give it up, e.g. to rejoin its group). */
  withdraw(message: T, err: Error): void {
    const i = this.offers.findIndex((o) => o.message === message);
    if (i < 0) return;
    const [offer] = this.offers.splice(i, 1);
    offer?.refused(err);
  }
}
