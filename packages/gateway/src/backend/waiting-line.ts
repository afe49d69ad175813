import type { Dispatcher, Pool } from 'undici';
import type { CallBase } from './call.js';

interface Waiting {
  options: Dispatcher.DispatchOptions | null;
  call: CallBase | null;
}

/**
 * A backend pool with its waiting line kept here rather than in undici: at most `slots` calls
 * (connections × pipelining) are handed to undici at once, the others wait in order. A waiting call whose
 * request ended (the endpoint's timeout, the client gone) leaves the line at once, without a connection:
 * in undici's queue it would still be dispatched, only to be aborted, closing a good connection. Its
 * timeout is reported as SWY_BACKEND_POOL_TIMEOUT, telling a full pool from a slow backend.
 */
export class WaitingLine {
  private running = 0;
  private line: Waiting[] = [];
  private head = 0;

  constructor(
    readonly pool: Pool,
    private readonly slots: number,
  ) {}

  dispatch(options: Dispatcher.DispatchOptions, call: CallBase): void {
    if (call.isSettled) return; // aborted before it was sent (its scope had already ended)
    if (this.running < this.slots) {
      this.start(options, call);
      return;
    }
    const entry: Waiting = { options, call };
    call.queued = true;
    // Settled while waiting: drop what it holds (its request body) now, its place when reached.
    call.release = () => {
      entry.options = null;
      entry.call = null;
    };
    this.line.push(entry);
  }

  private start(options: Dispatcher.DispatchOptions, call: CallBase): void {
    this.running++;
    call.queued = false;
    call.release = this.released;
    this.pool.dispatch(options, call);
  }

  /** A running call settled: its slot goes to the next in line (one function for all, no allocation). */
  private readonly released = (): void => {
    this.running--;
    if (this.head < this.line.length) this.next();
  };

  private next(): void {
    while (this.running < this.slots && this.head < this.line.length) {
      const entry = this.line[this.head++] as Waiting;
      if (entry.call && entry.options) this.start(entry.options, entry.call);
    }
    if (this.head === this.line.length) {
      this.line = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.line.length) {
      this.line = this.line.slice(this.head);
      this.head = 0;
    }
  }
}
