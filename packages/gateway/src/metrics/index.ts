import type { GatewayFile, MetricsNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import { GatewayMetrics, METRICS, type MetricsSources } from './gateway-metrics.js';

export { GatewayMetrics, type MetricsSources } from './gateway-metrics.js';

/**
 * The gateway's metrics when they can be read (`enabled`: the admin listener is on): with or without
 * `telemetry/metrics`, which tunes them. Null otherwise, so requests record nothing for them.
 */
export function metricsFor(
  enabled: boolean,
  file: GatewayFile,
  o: { sources: MetricsSources; logger: Logger },
): GatewayMetrics | null {
  if (!enabled) return null;
  const cfg = (file.extra_config?.[METRICS] ?? {}) as MetricsNamespace;
  return new GatewayMetrics(cfg, o.sources, o.logger);
}
