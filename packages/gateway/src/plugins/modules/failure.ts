import { SwitchyardError } from '@switchyard/shared';
import type { Scope } from '../../pipeline/scope.js';

/**
 * What a plugin threw, as the answer sees it: an error with its own `statusCode` (PluginResponseError,
 * from any copy of the package: lura checks an interface, not a type) is kept; anything else is
 * SWY_PLUGIN_FAILED (500). Its text stays the plugin's (what `return_error_msg` shows, as KrakenD shows
 * a plugin's error); the plugin and where it runs are in the details.
 */
export function pluginFailure(err: unknown, plugin: string, where: string): Error {
  if (err instanceof Error && hasStatusCode(err)) return err;
  if (err instanceof SwitchyardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchyardError('SWY_PLUGIN_FAILED', message, { details: { plugin, where }, cause: err });
}

/** A plugin's error that chooses the answer's status (and, with return_error_msg, its Content-Type). */
export interface StatusCarrier extends Error {
  statusCode: number;
  contentType?: string;
}

export function hasStatusCode(err: Error): err is StatusCarrier {
  const code = (err as Partial<StatusCarrier>).statusCode;
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599;
}

/**
 * A plugin's promise, bounded by the request's scope: when the endpoint's timeout fires (or the client
 * goes) first, it rejects with the scope's reason and the plugin's late answer is ignored.
 */
export function bounded<T>(scope: Scope, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    scope.add({ abort: reject });
    work.then(resolve, reject);
  });
}

export const isThenable = <T>(v: T | Promise<T>): v is Promise<T> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';
