import type { SwitchyardBackendNamespace } from '@switchyard/config';
import { DEFAULT_MAX_BACKEND_BODY_BYTES, type GatewaySettings } from '../settings.js';
import type { PoolSpec } from './pools.js';
import { DEFAULT_MAX_XML_BYTES } from './xml-body.js';

/** What bounds one backend's calls: its body limit and its connection pool. */
export interface BackendLimits {
  maxBodyBytes: number;
  /** The `xml` and `rss` bodies: decoded on the request thread, so bounded lower. */
  maxXmlBytes: number;
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
    maxXmlBytes: own.max_xml_bytes ?? root.max_xml_bytes ?? DEFAULT_MAX_XML_BYTES,
    pool: {
      name: own.pool?.name ?? root.pool?.name ?? scope,
      connections: own.pool?.connections ?? root.pool?.connections ?? settings.connectionsPerOrigin,
      pipelining: own.pool?.pipelining ?? root.pool?.pipelining ?? 1,
    },
  };
}
