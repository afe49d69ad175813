import type { OpenTelemetryNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';

/**
 * How long one export (its retries included) may take. The OTLP exporters' own 10 s keep retrying on a
 * timer that holds the event loop, so a closed gateway whose collector is down would stay alive for them
 * (past a container's 10 s SIGTERM grace); bounded to the stop's wait, nothing outlives the stop.
 */
export const EXPORT_TIMEOUT_MS = 2000;

/** One `exporters.otlp[]` entry as the SDK is given it. */
export interface Exporter {
  /** OTLP over HTTP (JSON), else gRPC. */
  http: boolean;
  /** `scheme://host:port`, without the signal's path. */
  url: string;
  /** Seconds between two metric exports. */
  periodS: number;
}

/** What the lazily imported SDK is built from. */
export interface SdkSettings {
  resource: Record<string, string>;
  sampleRate: number;
  traces: Exporter[];
  metrics: Exporter[];
}

/** The SDK settings of a root `telemetry/opentelemetry`; null when no exporter takes traces or metrics. */
export function sdkSettings(cfg: OpenTelemetryNamespace, serviceName: string | undefined, log: Logger) {
  if (cfg.exporters?.prometheus?.length)
    log.warn(
      { setting: 'telemetry/opentelemetry.exporters.prometheus' },
      'not implemented by Switchyard (the admin listener serves Prometheus /metrics with telemetry/metrics); ignored',
    );
  const period = cfg.metric_reporting_period ?? 30;
  const exporters = (cfg.exporters?.otlp ?? []).map((e) => ({
    http: e.use_http === true,
    url: address(e.host, e.port ?? (e.use_http ? 4318 : 4317)),
    // krakend-otel: a custom period of 0 (or none) is the service's.
    periodS: e.custom_metric_reporting_period || period,
    disableTraces: e.disable_traces === true,
    disableMetrics: e.disable_metrics === true,
  }));
  const pick = (off: 'disableTraces' | 'disableMetrics'): Exporter[] =>
    exporters.filter((e) => !e[off]).map(({ http, url, periodS }) => ({ http, url, periodS }));
  const settings: SdkSettings = {
    resource: {
      // krakend-otel: the file's `name` when service_name is not set, then "KrakenD".
      'service.name': cfg.service_name || serviceName || 'KrakenD',
      ...(cfg.service_version ? { 'service.version': cfg.service_version } : {}),
      ...(cfg.deploy_env ? { 'deployment.environment': cfg.deploy_env } : {}),
    },
    sampleRate: cfg.trace_sample_rate ?? 1,
    traces: pick('disableTraces'),
    metrics: pick('disableMetrics'),
  };
  return settings.traces.length > 0 || settings.metrics.length > 0 ? settings : null;
}

/** krakend-otel's host may carry the scheme (`https://collector`); without one it is plain HTTP. */
function address(host: string, port: number): string {
  const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
  return `${base.replace(/\/+$/, '')}:${port}`;
}
