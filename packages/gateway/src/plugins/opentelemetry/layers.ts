import type {
  OpenTelemetryBackendNamespace,
  OpenTelemetryEndpointNamespace,
  OpenTelemetryNamespace,
} from '@switchyard/config';

export type Attributes = Record<string, string>;

/** What one layer records: its span, its metrics, and which headers its span reports. */
export interface LayerSettings {
  traces: boolean;
  metrics: boolean;
  /** Reports headers as `http.request.header.*` / `http.response.header.*` span attributes. */
  reportHeaders: boolean;
  /** Lower-case header names left out of the report. */
  skipHeaders: ReadonlySet<string>;
  traceAttributes: Attributes;
  metricAttributes: Attributes;
}

export interface GlobalSettings extends LayerSettings {
  propagation: boolean;
  /** `semantic_convention: "1.27"`: the stable metric names (`http.server.request.duration`, …). */
  semconv127: boolean;
}

/** The backend layer: the stage around the backend's plugins and the round trip inside them. */
export interface BackendSettings {
  stage: LayerSettings;
  roundTrip: LayerSettings;
}

type KeyValues = { key: string; value: string }[] | undefined;
type Layers = NonNullable<OpenTelemetryNamespace['layers']>;
type BackendLayer = NonNullable<Layers['backend']>;

/** krakend-otel leaves out pairs with an empty key or value. */
export function attributes(...lists: KeyValues[]): Attributes {
  const out: Attributes = {};
  for (const list of lists) for (const { key, value } of list ?? []) if (key && value) out[key] = value;
  return out;
}

const skip = (names: string[] | undefined) => new Set((names ?? []).map((n) => n.toLowerCase()));

export function globalSettings(cfg: OpenTelemetryNamespace): GlobalSettings {
  const g = cfg.layers?.global ?? {};
  return {
    traces: g.disable_traces !== true,
    metrics: g.disable_metrics !== true,
    propagation: g.disable_propagation !== true,
    semconv127: g.semantic_convention === '1.27',
    reportHeaders: g.report_headers === true,
    skipHeaders: skip(g.skip_headers),
    traceAttributes: attributes(g.traces_static_attributes),
    metricAttributes: attributes(g.metrics_static_attributes),
  };
}

/** An endpoint's `global` static attributes, added to the root's for its requests. */
export function endpointGlobal(base: GlobalSettings, ep: OpenTelemetryEndpointNamespace | undefined) {
  if (!ep?.global) return base;
  return {
    ...base,
    traceAttributes: { ...base.traceAttributes, ...attributes(ep.global.traces_static_attributes) },
    metricAttributes: { ...base.metricAttributes, ...attributes(ep.global.metrics_static_attributes) },
  };
}

/** The proxy layer of an endpoint: its own `proxy` replaces the root's whole (krakend-otel does not merge). */
export function proxySettings(
  cfg: OpenTelemetryNamespace,
  ep: OpenTelemetryEndpointNamespace | undefined,
): LayerSettings {
  const p = ep?.proxy ?? cfg.layers?.proxy ?? {};
  return {
    traces: p.disable_traces !== true,
    metrics: p.disable_metrics !== true,
    reportHeaders: p.report_headers === true,
    skipHeaders: skip(p.skip_headers),
    traceAttributes: attributes(p.traces_static_attributes),
    metricAttributes: attributes(p.metrics_static_attributes),
  };
}

/**
 * The backend layer of a backend: its own `backend` replaces the root's whole. As in krakend-otel, a
 * `metrics` or `traces` left out records everything (stage and round trip); one that is written records
 * the round trip only with `round_trip: true`.
 */
export function backendSettings(
  cfg: OpenTelemetryNamespace,
  b: OpenTelemetryBackendNamespace | undefined,
): BackendSettings {
  const layer: BackendLayer = b?.backend ?? cfg.layers?.backend ?? {};
  const m = layer.metrics;
  const t = layer.traces;
  const common = {
    reportHeaders: t?.report_headers === true,
    skipHeaders: skip(t?.skip_headers),
    traceAttributes: attributes(t?.static_attributes),
    metricAttributes: attributes(m?.static_attributes),
  };
  return {
    stage: { ...common, traces: t?.disable_stage !== true, metrics: m?.disable_stage !== true },
    roundTrip: {
      ...common,
      traces: t ? t.round_trip === true : true,
      metrics: m ? m.round_trip === true : true,
    },
  };
}

/** lura's route of an endpoint (gin's `:param`), as krakend-otel reports it in `http.route`. */
export const endpointRoute = (pattern: string) => pattern.replace(/\{([^{}]+)\}/g, ':$1');

/** A backend's url_pattern as krakend-otel normalises lura's `{{.Param}}`: `:param`, lower-case. */
export const backendRoute = (urlPattern: string) =>
  urlPattern.replace(/\{([^{}]+)\}/g, (_, name: string) => `:${name.toLowerCase()}`);
