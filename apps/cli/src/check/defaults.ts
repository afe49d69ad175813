import { GATEWAY_DEFAULTS, type GatewayFile } from '@switchyard/config';

/**
 * The config as the gateway runs it, every default written out at every level: endpoints get their
 * method, timeout, cache_ttl, output_encoding and concurrent_calls (from the root where KrakenD takes
 * them from there), backends their method, host and encoding. Only keys the schema knows are added, so
 * the output is itself a valid config.
 */
export function withAllDefaults(config: GatewayFile): GatewayFile {
  const root = {
    ...config,
    port: config.port ?? GATEWAY_DEFAULTS.port,
    timeout: config.timeout ?? GATEWAY_DEFAULTS.timeout,
    cache_ttl: config.cache_ttl ?? GATEWAY_DEFAULTS.cache_ttl,
    output_encoding: config.output_encoding ?? GATEWAY_DEFAULTS.output_encoding,
  };
  if (!config.endpoints) return root;
  return {
    ...root,
    endpoints: config.endpoints.map((ep) => {
      const method = ep.method ?? GATEWAY_DEFAULTS.method;
      return {
        ...ep,
        method,
        timeout: ep.timeout ?? root.timeout,
        cache_ttl: ep.cache_ttl ?? root.cache_ttl,
        output_encoding: ep.output_encoding ?? root.output_encoding,
        concurrent_calls: ep.concurrent_calls ?? GATEWAY_DEFAULTS.concurrent_calls,
        backend: ep.backend.map((b) => ({
          ...b,
          method: b.method ?? method,
          host: b.host ?? config.host ?? [],
          encoding: b.encoding ?? GATEWAY_DEFAULTS.encoding,
        })),
      };
    }),
  } as GatewayFile;
}
