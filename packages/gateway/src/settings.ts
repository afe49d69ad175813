import {
  ERRORS_NAMESPACE,
  type ErrorsNamespace,
  GATEWAY_DEFAULTS,
  type GatewayFile,
  type OutputEncoding,
  type RouterNamespace,
  type SwitchyardBackendNamespace,
} from '@switchyard/config';
import { parseDuration, SwitchyardError, VERSION } from '@switchyard/shared';

/** Request header limit when the file sets no `max_header_bytes` (431 beyond it). */
export const DEFAULT_MAX_HEADER_BYTES = 32 * 1024;
/** Request header fields beyond which a request is answered 431 (Node would drop the rest silently). */
export const MAX_HEADER_FIELDS = 1000;
/** Request body limit when `router.max_body_bytes` is not set (413 beyond it). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Connections per backend origin when `max_idle_connections_per_host` is not set. */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 128;
/**
 * Largest backend body the gateway reads, decompressed, when `switchyard/backend` `max_body_bytes` is not
 * set (502 beyond it; the no-op encoding streams and is not limited).
 */
export const DEFAULT_MAX_BACKEND_BODY_BYTES = 10 * 1024 * 1024;

export const USER_AGENT = `Switchyard/${VERSION}`;

/** The root of a gateway file with KrakenD's defaults applied, in the units the server uses. */
export interface GatewaySettings {
  port: number;
  host: string;
  timeoutMs: number;
  cacheTtlS: number;
  outputEncoding: OutputEncoding;
  hosts: string[];
  debug: boolean;
  echo: boolean;
  maxHeaderBytes: number;
  maxBodyBytes: number;
  connectionsPerOrigin: number;
  /** Ask backends for gzip (`Accept-Encoding: gzip`), as Go's transport does unless `disable_compression`. */
  compression: boolean;
  idleConnectionMs: number | undefined;
  readTimeoutMs: number | undefined;
  readHeaderTimeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
  router: RouterNamespace;
  /** The root's `switchyard/backend`: defaults for every backend. */
  backendDefaults: SwitchyardBackendNamespace;
  versionHeader: string;
  /** `switchyard/errors` `transport_statuses`: failures answer 502/503/504 instead of KrakenD's 500. */
  transportStatuses: boolean;
}

export interface SettingsOverrides {
  port?: number | undefined;
  host?: string | undefined;
  debug?: boolean | undefined;
}

const optionalMs = (d: string | undefined) => (d === undefined ? undefined : parseDuration(d));

export function resolveSettings(file: GatewayFile, overrides: SettingsOverrides = {}): GatewaySettings {
  const router = (file.extra_config?.router ?? {}) as RouterNamespace;
  return {
    port: overrides.port ?? file.port ?? GATEWAY_DEFAULTS.port,
    host: overrides.host ?? file.listen_ip ?? '0.0.0.0',
    timeoutMs: positive('timeout', parseDuration(file.timeout ?? GATEWAY_DEFAULTS.timeout)),
    cacheTtlS: Math.floor(parseDuration(file.cache_ttl ?? GATEWAY_DEFAULTS.cache_ttl) / 1000),
    outputEncoding: file.output_encoding ?? GATEWAY_DEFAULTS.output_encoding,
    hosts: file.host ?? [],
    debug: overrides.debug ?? file.debug_endpoint ?? false,
    echo: file.echo_endpoint ?? false,
    maxHeaderBytes: file.max_header_bytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxBodyBytes: router.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    connectionsPerOrigin: file.max_idle_connections_per_host || DEFAULT_CONNECTIONS_PER_ORIGIN,
    compression: file.disable_compression !== true,
    idleConnectionMs: optionalMs(file.idle_connection_timeout),
    readTimeoutMs: optionalMs(file.read_timeout),
    readHeaderTimeoutMs: optionalMs(file.read_header_timeout),
    idleTimeoutMs: optionalMs(file.idle_timeout),
    router,
    backendDefaults: (file.extra_config?.['switchyard/backend'] ?? {}) as SwitchyardBackendNamespace,
    versionHeader: router.hide_version_header ? 'Version undefined' : `Version ${VERSION}`,
    transportStatuses:
      (file.extra_config?.[ERRORS_NAMESPACE] as ErrorsNamespace | undefined)?.transport_statuses === true,
  };
}

export function positive(what: string, ms: number): number {
  if (ms <= 0) throw new SwitchyardError('SWY_CONFIG_INVALID', `${what}: must be greater than 0`);
  return ms;
}
