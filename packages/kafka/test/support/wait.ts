import { setTimeout as sleep } from 'node:timers/promises';

/** What `promise` rejected with, or undefined when it resolved: for asserting on a failure's code and details. */
export const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );

/** Polls a condition something reaches on its own (a reconnect, a close), failing the test after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(pollMs);
  }
}
