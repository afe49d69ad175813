import {
  createNoopMeter,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
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
import { EXPORT_TIMEOUT_MS, type Exporter, type SdkSettings } from './exporters.js';

/**
 * The OpenTelemetry SDK, imported only when a file configures `telemetry/opentelemetry` (a gateway
 * without it loads none of `@opentelemetry/*`): the providers, one exporter per `exporters.otlp[]`, and
 * the API pieces the layers use.
 */
export async function startSdk(s: SdkSettings) {
  const resource = resourceFromAttributes(s.resource);
  // An export that failed since the stop began: what was pending did not reach the collector.
  let failed = false;
  const watch = <E extends Watched>(e: E): E => {
    const send = e.export.bind(e);
    e.export = (items, done) =>
      send(items, (r: ExportResult) => {
        if (r.code !== ExportResultCode.SUCCESS) failed = true;
        done(r);
      });
    return e;
  };
  // Built one by one: when one fails (a gRPC exporter's import), those built before it are shut down.
  const built: Array<{ shutdown(): Promise<void> }> = [];
  let traces: BasicTracerProvider | null = null;
  let meters: MeterProvider | null = null;
  try {
    const traceExporters: SpanExporter[] = [];
    for (const e of s.traces) traceExporters.push(watch(await traceExporter(e)));
    built.push(...traceExporters);
    const metricReaders: PeriodicExportingMetricReader[] = [];
    for (const e of s.metrics) {
      const exporter = watch(await metricExporter(e));
      built.push(exporter);
      metricReaders.push(
        new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: e.periodS * 1000 }),
      );
    }
    if (traceExporters.length > 0)
      traces = new BasicTracerProvider({
        resource,
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.sampleRate) }),
        spanProcessors: traceExporters.map((e) => new BatchSpanProcessor(e)),
      });
    if (metricReaders.length > 0) meters = new MeterProvider({ resource, readers: metricReaders });
  } catch (err) {
    await Promise.allSettled(built.map((b) => b.shutdown()));
    throw err;
  }
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
    /** Sends what is pending and stops the exporters; false when the collector did not take it all. */
    shutdown: async () => {
      failed = false;
      await Promise.allSettled([traces?.shutdown(), meters?.shutdown()]);
      return !failed;
    },
  };
}

/** What `watch` needs of a span or metric exporter. */
interface Watched {
  // biome-ignore lint/suspicious/noExplicitAny: spans or metrics, as the exporter takes them
  export(items: any, done: (r: ExportResult) => void): void;
}

export type Sdk = Awaited<ReturnType<typeof startSdk>>;

async function traceExporter(e: Exporter): Promise<SpanExporter> {
  const timeoutMillis = EXPORT_TIMEOUT_MS;
  if (e.http) return new OTLPTraceExporter({ url: `${e.url}/v1/traces`, timeoutMillis });
  // gRPC pulls in @grpc/grpc-js: loaded only when an exporter asks for it.
  const { OTLPTraceExporter: Grpc } = await import('@opentelemetry/exporter-trace-otlp-grpc');
  return new Grpc({ url: e.url, timeoutMillis });
}

async function metricExporter(e: Exporter): Promise<PushMetricExporter> {
  const timeoutMillis = EXPORT_TIMEOUT_MS;
  if (e.http) return new OTLPMetricExporter({ url: `${e.url}/v1/metrics`, timeoutMillis });
  const { OTLPMetricExporter: Grpc } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
  return new Grpc({ url: e.url, timeoutMillis });
}
