import {
  createNoopMeter,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Exporter, SdkSettings } from './exporters.js';

/**
 * The OpenTelemetry SDK, imported only when a file configures `telemetry/opentelemetry` (a gateway
 * without it loads none of `@opentelemetry/*`): the providers, one exporter per `exporters.otlp[]`, and
 * the API pieces the layers use.
 */
export async function startSdk(s: SdkSettings) {
  const resource = resourceFromAttributes(s.resource);
  const traceExporters = await Promise.all(s.traces.map(traceExporter));
  const traces =
    traceExporters.length > 0
      ? new BasicTracerProvider({
          resource,
          sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.sampleRate) }),
          spanProcessors: traceExporters.map((e) => new BatchSpanProcessor(e)),
        })
      : null;
  const metricExporters = await Promise.all(
    s.metrics.map(async (e) => [e, await metricExporter(e)] as const),
  );
  const meters =
    metricExporters.length > 0
      ? new MeterProvider({
          resource,
          readers: metricExporters.map(
            ([e, exporter]) =>
              new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: e.periodS * 1000 }),
          ),
        })
      : null;
  return {
    tracer: traces?.getTracer('switchyard') ?? null,
    // Without a metrics exporter, a no-op meter keeps the layers free of checks.
    meter: meters?.getMeter('switchyard') ?? createNoopMeter(),
    propagator: new W3CTraceContextPropagator(),
    trace,
    ROOT_CONTEXT,
    SpanKind,
    SpanStatusCode,
    getter: defaultTextMapGetter,
    setter: defaultTextMapSetter,
    /** Sends what is pending and stops the exporters. */
    shutdown: async () => {
      await Promise.allSettled([traces?.shutdown(), meters?.shutdown()]);
    },
  };
}

export type Sdk = Awaited<ReturnType<typeof startSdk>>;

async function traceExporter(e: Exporter): Promise<SpanExporter> {
  if (e.http) return new OTLPTraceExporter({ url: `${e.url}/v1/traces` });
  // gRPC pulls in @grpc/grpc-js: loaded only when an exporter asks for it.
  const { OTLPTraceExporter: Grpc } = await import('@opentelemetry/exporter-trace-otlp-grpc');
  return new Grpc({ url: e.url });
}

async function metricExporter(e: Exporter): Promise<PushMetricExporter> {
  if (e.http) return new OTLPMetricExporter({ url: `${e.url}/v1/metrics` });
  const { OTLPMetricExporter: Grpc } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
  return new Grpc({ url: e.url });
}
