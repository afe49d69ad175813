import type { IncomingHttpHeaders } from 'node:http';
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Histogram,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { OpenTelemetryNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import type { Stage } from '../../pipeline/types.js';
import type { Exchange, RouteHandler } from '../../request/exchange.js';

export const OPENTELEMETRY = 'telemetry/opentelemetry';

type Layer = { disable_metrics?: boolean; disable_traces?: boolean; disable_propagation?: boolean };

/**
 * `telemetry/opentelemetry` with the official SDK: traces and metrics over OTLP HTTP (JSON) to every
 * `exporters.otlp[]` with `use_http`. The global layer is a server span per request (continuing an
 * incoming `traceparent`) and `http.server.request.duration`; the backend layer a client span per backend
 * call (its `traceparent` sent to the backend) and `http.client.request.duration`. Built once per
 * gateway; endpoints without it are compiled without any of this.
 */
export class Telemetry {
  private readonly tracer: Tracer | null;
  private readonly traces: BasicTracerProvider | null;
  private readonly meters: MeterProvider | null;
  private readonly serverDuration: Histogram | null;
  private readonly clientDuration: Histogram | null;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly global: Layer;
  private readonly backendLayer: Layer;
  private readonly skip: ReadonlySet<string>;
  /** The server span of a request, found by the backend layer through the request's header object. */
  private readonly spans = new WeakMap<IncomingHttpHeaders, Context>();

  constructor(cfg: OpenTelemetryNamespace, logger: Logger) {
    const log = logger.child({ plugin: OPENTELEMETRY });
    const resource = resourceFromAttributes({
      'service.name': cfg.service_name || 'KrakenD',
      ...(cfg.service_version ? { 'service.version': cfg.service_version } : {}),
      ...(cfg.deploy_env ? { 'deployment.environment': cfg.deploy_env } : {}),
    });
    const otlp = (cfg.exporters?.otlp ?? []).filter((e) => {
      if (e.use_http) return true;
      log.warn({ exporter: e.name }, 'OTLP over gRPC is not implemented by Switchyard; exporter ignored');
      return false;
    });
    if (cfg.exporters?.prometheus?.length)
      log.warn(
        { setting: `${OPENTELEMETRY}.exporters.prometheus` },
        'not implemented by Switchyard; ignored',
      );
    const url = (e: { host: string; port?: number | undefined }, path: string) => {
      const base = /^https?:\/\//.test(e.host) ? e.host : `http://${e.host}`;
      return `${base.replace(/\/+$/, '')}:${e.port ?? 4318}${path}`;
    };
    this.global = cfg.layers?.global ?? {};
    this.backendLayer = {
      disable_metrics: cfg.layers?.backend?.metrics?.disable_stage,
      disable_traces: cfg.layers?.backend?.traces?.disable_stage,
    };
    this.skip = new Set(cfg.skip_paths ?? ['/__health', '/__debug/', '/__echo/', '/__stats/']);

    const tracing = otlp.filter((e) => !e.disable_traces);
    this.traces =
      tracing.length > 0
        ? new BasicTracerProvider({
            resource,
            sampler: new ParentBasedSampler({
              root: new TraceIdRatioBasedSampler(cfg.trace_sample_rate ?? 1),
            }),
            spanProcessors: tracing.map(
              (e) => new BatchSpanProcessor(new OTLPTraceExporter({ url: url(e, '/v1/traces') })),
            ),
          })
        : null;
    this.tracer = this.traces?.getTracer('switchyard') ?? null;

    const metering = otlp.filter((e) => !e.disable_metrics);
    this.meters =
      metering.length > 0
        ? new MeterProvider({
            resource,
            readers: metering.map(
              (e) =>
                new PeriodicExportingMetricReader({
                  exporter: new OTLPMetricExporter({ url: url(e, '/v1/metrics') }),
                  exportIntervalMillis: (cfg.metric_reporting_period ?? 30) * 1000,
                }),
            ),
          })
        : null;
    const meter = this.meters?.getMeter('switchyard');
    this.serverDuration = this.global.disable_metrics
      ? null
      : (meter?.createHistogram('http.server.request.duration', { unit: 's' }) ?? null);
    this.clientDuration = this.backendLayer.disable_metrics
      ? null
      : (meter?.createHistogram('http.client.request.duration', { unit: 's' }) ?? null);
  }

  /** The global layer around an endpoint's handler; the handler itself when the layer records nothing. */
  endpoint(pattern: string, method: string, handler: RouteHandler): RouteHandler {
    const tracer = this.global.disable_traces ? null : this.tracer;
    const duration = this.serverDuration;
    if ((!tracer && !duration) || this.skip.has(pattern)) return handler;
    const name = `${method} ${pattern}`;
    const propagate = this.global.disable_propagation !== true;
    return (x: Exchange, raw) => {
      const started = performance.now();
      let span: Span | null = null;
      if (tracer) {
        const parent = propagate
          ? this.propagator.extract(ROOT_CONTEXT, x.req.headers, defaultTextMapGetter)
          : ROOT_CONTEXT;
        span = tracer.startSpan(
          name,
          {
            kind: SpanKind.SERVER,
            attributes: { 'http.request.method': method, 'http.route': pattern, 'url.path': x.path },
          },
          parent,
        );
        this.spans.set(x.req.headers, trace.setSpan(parent, span));
      }
      x.res.once('finish', () => {
        const status = x.res.statusCode;
        const attributes = {
          'http.request.method': method,
          'http.route': pattern,
          'http.response.status_code': status,
        };
        duration?.record((performance.now() - started) / 1000, attributes);
        if (span) {
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      });
      return handler(x, raw);
    };
  }

  /** The backend layer around one backend's stage; the stage itself when the layer records nothing. */
  backend(url: string, method: string, stage: Stage): Stage {
    const tracer = this.backendLayer.disable_traces ? null : this.tracer;
    const duration = this.clientDuration;
    if (!tracer && !duration) return stage;
    const name = `${method} ${url}`;
    const attributes = { 'http.request.method': method, 'url.full': url };
    return (req) => {
      const started = performance.now();
      const parent = this.spans.get(req.headers) ?? context.active();
      const span = tracer?.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent) ?? null;
      let call = req;
      if (span) {
        // The backend continues this span's trace, as KrakenD propagates it.
        const headers = { ...req.headers };
        this.propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
        call = { ...req, headers };
      }
      return stage(call).then((result) => {
        duration?.record((performance.now() - started) / 1000, {
          ...attributes,
          error: result.error !== null,
        });
        if (span) {
          if (result.error) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
          span.end();
        }
        return result;
      });
    };
  }

  /** Whether any exporter takes traces or metrics (else the namespace changes nothing). */
  get active(): boolean {
    return this.traces !== null || this.meters !== null;
  }

  /** Sends what is pending and stops the exporters. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([this.traces?.shutdown(), this.meters?.shutdown()]);
  }
}
