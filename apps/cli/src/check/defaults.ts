import { GATEWAY_DEFAULTS, type GatewayFile } from '@switchyard/config';

type Extra = Record<string, unknown> | undefined;

/** The rate limits' defaults the gateway applies (`every` 1s; `strategy` ip for per-client limits). */
function withNamespaceDefaults(extra: Extra): Extra {
  if (!extra) return extra;
  const out: Record<string, unknown> = { ...extra };
  const router = extra['qos/ratelimit/router'] as Record<string, unknown> | undefined;
  if (router)
    out['qos/ratelimit/router'] = {
      ...router,
      every: router.every ?? '1s',
      ...(router.client_max_rate ? { strategy: router.strategy ?? 'ip' } : {}),
    };
  const proxy = extra['qos/ratelimit/proxy'] as Record<string, unknown> | undefined;
  if (proxy) out['qos/ratelimit/proxy'] = { ...proxy, every: proxy.every ?? '1s' };
  return out;
}

/**
 * The config as the gateway runs it, every default written out at every level: endpoints get their
 * method, timeout, cache_ttl, output_encoding and concurrent_calls (from the root where KrakenD takes
 * them from there), backends their method, host and encoding, rate limits their `every` and `strategy`.
 * Only keys the schema knows are added, so the output is itself a valid config.
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
        ...(ep.extra_config && { extra_config: withNamespaceDefaults(ep.extra_config as Extra) }),
        backend: ep.backend.map((b) => ({
          ...b,
          method: b.method ?? method,
          host: b.host ?? config.host ?? [],
          encoding: b.encoding ?? GATEWAY_DEFAULTS.encoding,
          ...(b.extra_config && { extra_config: withNamespaceDefaults(b.extra_config as Extra) }),
        })),
      };
    }),
  } as GatewayFile;
}
