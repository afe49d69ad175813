import type { Scope } from '../pipeline/scope.js';

/** A promise the request's scope can end early (its deadline, or the client going away). */
export function abortable<T>(promise: Promise<T>, scope: Scope): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    scope.add({ abort: reject });
    promise.then(resolve, reject);
  });
}
