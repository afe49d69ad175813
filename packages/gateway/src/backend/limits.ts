import type { SwitchyardBackendNamespace } from '@switchyard/config';
import { DEFAULT_MAX_BACKEND_BODY_BYTES, type GatewaySettings } from '../settings.js';
import type { PoolSpec } from './pools.js';

/** What bounds one backend's calls: its body limit and its connection pool. */
export interface BackendLimits {
  maxBodyBytes: number;
  pool: PoolSpec;
}

const ns = (extra: Record<string, unknown> | undefined) =>
  (extra?.['switchyard/backend'] ?? {}) as SwitchyardBackendNamespace;

/**
 * `switchyard/backend` of a backend over the root's, key by key. `scope` names the backend's own pool
 * when no pool name is given (stable across reloads while the backend is unchanged).
 */
export function backendLimits(
  settings: GatewaySettings,
  backendExtra: Record<string, unknown> | undefined,
  scope: string,
): BackendLimits {
  const root = settings.backendDefaults;
  const own = ns(backendExtra);
  return {
    maxBodyBytes: own.max_body_bytes ?? root.max_body_bytes ?? DEFAULT_MAX_BACKEND_BODY_BYTES,
    pool: {
      name: own.pool?.name ?? root.pool?.name ?? scope,
      connections: own.pool?.connections ?? root.pool?.connections ?? settings.connectionsPerOrigin,
      pipelining: own.pool?.pipelining ?? root.pool?.pipelining ?? 1,
    },
  };
}
