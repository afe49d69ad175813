import type { EventProxySettings } from '@switchyard/config';
import { isLoopbackHost } from '@switchyard/shared';

/**
 * What binding ingest to `host` asks for: `ok` on loopback, with a token, or with ingest off; else
 * `refuse` (anyone who reaches the address could inject events), or `warn` when `allow_insecure` says so.
 */
export function exposure(host: string, ingest: EventProxySettings['ingest']): 'ok' | 'warn' | 'refuse' {
  const { enabled = true, token, allow_insecure } = ingest;
  if (!enabled || token !== undefined || isLoopbackHost(host)) return 'ok';
  return allow_insecure ? 'warn' : 'refuse';
}
