import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Context, Counter, Histogram, Attributes as OtelAttributes, Span } from '@opentelemetry/api';
import type {
  OpenTelemetryBackendNamespace,
  OpenTelemetryEndpointNamespace,
  OpenTelemetryNamespace,
} from '@switchyard/config';
import {
  type Logger,
  redactUrl,
  redactUrlsIn,
  SENSITIVE_HEADERS,
  type SensitiveNames,
  sensitiveNames,
  sensitiveQueryNames,
} from '@switchyard/shared';
import type { Scope } from '../../pipeline/scope.js';
import type { ProxyRequest, ProxyResult, Stage } from '../../pipeline/types.js';
import type { Exchange, RouteHandler } from '../../request/exchange.js';
import { EXPORT_TIMEOUT_MS, type SdkSettings, sdkSettings } from './exporters.js';
import { headerAttributes } from './headers.js';
import {
  type Attributes,
  backendRoute,
  backendSettings,
  endpointGlobal,
  endpointRoute,
  type GlobalSettings,
  globalSettings,
  type LayerSettings,
  proxySettings,
} from './layers.js';
import type { Sdk } from './sdk.js';

export const OPENTELEMETRY = 'telemetry/opentelemetry';

/** One backend as the backend layer names it. */
export interface TracedBackend {
  endpoint: string;
  endpointMethod: string;
  urlPattern: string;
  method: string;
  /** The first host, for `server.address`. */
  host: string;
  extra: Record<string, unknown> | undefined;
}

/** The instruments, made once the SDK is loaded (krakend-otel's names). */
interface Instruments {
  serverDuration: Histogram;
  serverSize: Histogram;
  proxyDuration: Histogram;
  backendDuration: Histogram;
  clientDuration: Histogram;
  clientStarted: Counter;
  clientFailed: Counter;
}

/**
 * How long a stopping gateway waits for the exporters to send what they hold: an export's own limit, so
 * the exporters' retries are over when the stop gives up on them (a hung exporter is given up on too).
 */
export const SHUTDOWN_LIMIT_MS = EXPORT_TIMEOUT_MS;

/** An error's text in a span at most: a backend's error body (return_error_code) may be megabytes. */
const MAX_ERROR_TEXT = 1024;

const METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/**
 * `telemetry/opentelemetry` as krakend-otel lays it out: the global layer (a server span per request,
 * named by its path, continuing an incoming `traceparent`; `http.server.*` metrics), the proxy layer (a
 * span per endpoint pipeline; `krakend.proxy.duration`), and the backend layer: the stage around a
 * backend's plugins (`krakend.backend.duration`) and the round trip inside them (a client span whose
 * context the backend receives; `http.client.*`). Wrappers are decided when routes are built; the SDK
 * (`./sdk.js`) is imported in the background and the gateway listens once it is loaded, so a gateway
 * without this namespace never loads `@opentelemetry/*`.
 */
export class Telemetry {
  private sdk: Sdk | null = null;
  private inst: Instruments | null = null;
  /** The SDK's loading: settled (never rejected) once the layers record, or once it failed. */
  readonly ready: Promise<void>;
  private readonly global: GlobalSettings;
  private readonly skip: ReadonlySet<string>;
  private readonly hidden: SensitiveNames;
  private readonly hiddenQuery: SensitiveNames;
  /** The context of a request's global layer (its span, or the extracted parent), by its headers. */
  private readonly globalContexts = new WeakMap<IncomingHttpHeaders, Context>();
  private readonly proxyContexts = new WeakMap<Scope, Context>();
  /** The backend stage's context of each backend (keyed by its wrapper) of a request. */
  private readonly backendContexts = new WeakMap<Scope, Map<object, Context>>();

  private constructor(
    private readonly cfg: OpenTelemetryNamespace,
    settings: SdkSettings,
    redact: { headers?: readonly string[] | undefined; query?: readonly string[] | undefined },
    private readonly log: Logger,
  ) {
    this.global = globalSettings(cfg);
    // krakend-otel: an empty list means the defaults (a list with "" skips nothing).
    this.skip = new Set(
      cfg.skip_paths?.length ? cfg.skip_paths : ['/__health', '/__debug/', '/__echo/', '/__stats/'],
    );
    this.hidden = sensitiveNames(SENSITIVE_HEADERS, redact.headers);
    this.hiddenQuery = sensitiveQueryNames(redact.query);
    this.ready = import('./sdk.js')
      .then(({ startSdk }) => startSdk(settings))
      .then((sdk) => {
        this.sdk = sdk;
        this.inst = instruments(sdk, this.global.semconv127);
      })
      .catch((err: unknown) => {
        log.error(
          { err, code: 'SWY_TELEMETRY_UNAVAILABLE' },
          `${OPENTELEMETRY}: the OpenTelemetry SDK could not start; serving without telemetry`,
        );
      });
  }

  /** The telemetry of a root namespace; null when no exporter takes traces or metrics. */
  static create(
    cfg: OpenTelemetryNamespace,
    o: {
      serviceName?: string | undefined;
      /** `telemetry/events`' redaction: the same secrets stay out of spans. */
      redact: { headers?: readonly string[] | undefined; query?: readonly string[] | undefined };
      logger: Logger;
    },
  ): Telemetry | null {
    const log = o.logger.child({ plugin: OPENTELEMETRY });
    const settings = sdkSettings(cfg, o.serviceName, log);
    return settings ? new Telemetry(cfg, settings, o.redact, log) : null;
  }

  private skipped(pattern: string): boolean {
    return this.skip.has(pattern) || this.skip.has(endpointRoute(pattern));
  }

  /** The global layer around an endpoint's handler; the handler itself when the layer does nothing. */
  endpoint(
    extra: Record<string, unknown> | undefined,
    pattern: string,
    method: string,
    handler: RouteHandler,
  ): RouteHandler {
    const g = endpointGlobal(this.global, extra?.[OPENTELEMETRY] as OpenTelemetryEndpointNamespace);
    if (!g.traces && !g.metrics && !g.propagation) return handler;
    const route = endpointRoute(pattern);
    const fixed = { 'krakend.stage': 'global', ...g.traceAttributes };
    return (x: Exchange, raw) => {
      const sdk = this.sdk;
      const inst = this.inst;
      if (!sdk || !inst || this.skip.has(x.path)) return handler(x, raw);
      const started = performance.now();
      const headers = x.req.headers;
      const parent = g.propagation
        ? sdk.propagator.extract(sdk.ROOT_CONTEXT, headers, sdk.getter)
        : sdk.ROOT_CONTEXT;
      let span: Span | null = null;
      if (g.traces && sdk.tracer) {
        span = sdk.tracer.startSpan(
          x.path,
          { kind: sdk.SpanKind.SERVER, attributes: { ...this.incoming(x), ...fixed } },
          parent,
        );
        if (g.reportHeaders)
          span.setAttributes(headerAttributes('http.request.header.', headers, g.skipHeaders, this.hidden));
      }
      this.globalContexts.set(headers, span ? sdk.trace.setSpan(parent, span) : parent);
      // The answer's headers go to writeHead, which keeps them out of getHeaders(): seen on their way.
      let sent: OutgoingHttpHeaders = {};
      const res = x.res;
      const writeHead = res.writeHead;
      res.writeHead = ((status: number, ...rest: unknown[]) => {
        const last = rest.at(-1);
        if (last && typeof last === 'object' && !Array.isArray(last)) sent = last as OutgoingHttpHeaders;
        return (writeHead as (...a: unknown[]) => typeof res).call(res, status, ...rest);
      }) as typeof res.writeHead;
      // 'close' comes after 'finish', and also when the client went away first: the span always ends.
      res.once('close', () => {
        const status = res.statusCode;
        const answered = { ...res.getHeaders(), ...sent };
        const length = Number(answered['content-length'] ?? answered['Content-Length']);
        const size = Number.isFinite(length) ? length : 0;
        if (g.metrics) {
          const attributes = {
            ...g.metricAttributes,
            'http.request.method': METHODS.has(method) ? method : '_OTHER',
            'url.scheme': 'http',
            'http.route': route,
            'http.response.status_code': status,
          };
          inst.serverDuration.record((performance.now() - started) / 1000, attributes);
          inst.serverSize.record(size, attributes);
        }
        if (span) {
          span.setAttributes({
            'http.route': route,
            'http.response.status_code': status,
            'http.response.body.size': size,
          });
          if (g.reportHeaders)
            span.setAttributes(
              headerAttributes('http.response.header.', answered, g.skipHeaders, this.hidden),
            );
          span.setStatus({ code: sdk.SpanStatusCode.OK });
          span.end();
        }
      });
      return handler(x, raw);
    };
  }

  /** `modifier/lua-endpoint` copied the request's headers: the copy leads to the same global context. */
  sameRequest(from: IncomingHttpHeaders, to: IncomingHttpHeaders): void {
    const ctx = this.globalContexts.get(from);
    if (ctx) this.globalContexts.set(to, ctx);
  }

  /** krakend-otel's attributes of an incoming request. */
  private incoming(x: Exchange): OtelAttributes {
    const h = x.req.headers;
    const length = Number(h['content-length']);
    return {
      // A credential in the query (api_key=…) is written [REDACTED], as in events.
      'url.full': redactUrl(x.req.url ?? x.path, this.hiddenQuery),
      'server.address': h.host ?? '',
      'http.request.method': x.req.method ?? '',
      ...(Number.isFinite(length) && h['content-length'] !== undefined
        ? { 'http.request.body.size': length }
        : {}),
      ...(h['user-agent'] ? { 'user_agent.original': h['user-agent'] } : {}),
      ...(x.req.socket.remoteAddress ? { 'client.address': x.req.socket.remoteAddress } : {}),
    };
  }

  /** The proxy layer around an endpoint's pipeline; the pipeline itself when the layer does nothing. */
  proxy(extra: Record<string, unknown> | undefined, pattern: string, method: string, stage: Stage): Stage {
    const p = proxySettings(this.cfg, extra?.[OPENTELEMETRY] as OpenTelemetryEndpointNamespace);
    if ((!p.traces && !p.metrics) || this.skipped(pattern)) return stage;
    const route = endpointRoute(pattern);
    const attrs = { 'http.request.method': method, 'http.route': route };
    return this.layer('proxy', route, attrs, p, stage, {
      parent: (req) => this.globalContexts.get(req.headers),
      keep: (req, ctx) => this.proxyContexts.set(req.scope, ctx),
      duration: (i) => i.proxyDuration,
    });
  }

  /**
   * The backend stage around one backend's plugins; the stage itself when the layer does nothing. `b` is
   * the same object given to `roundTrip`: the round trip's span is the stage span's child.
   */
  backend(b: TracedBackend, stage: Stage): Stage {
    const { stage: s } = backendSettings(this.cfg, b.extra?.[OPENTELEMETRY] as OpenTelemetryBackendNamespace);
    if ((!s.traces && !s.metrics) || this.skipped(b.endpoint)) return stage;
    const route = backendRoute(b.urlPattern);
    return this.layer('backend', route, backendAttributes(b, route), s, stage, {
      parent: (req) => this.proxyContexts.get(req.scope) ?? this.globalContexts.get(req.headers),
      keep: (req, ctx) => {
        const contexts = this.backendContexts.get(req.scope) ?? new Map<object, Context>();
        this.backendContexts.set(req.scope, contexts.set(b, ctx));
      },
      duration: (i) => i.backendDuration,
    });
  }

  /** A span and a duration around a pipeline stage (krakend-otel's proxy and backend middlewares). */
  private layer(
    stageName: 'proxy' | 'backend',
    name: string,
    attrs: Attributes,
    l: LayerSettings,
    stage: Stage,
    o: {
      parent: (req: ProxyRequest) => Context | undefined;
      keep: (req: ProxyRequest, ctx: Context) => void;
      duration: (i: Instruments) => Histogram;
    },
  ): Stage {
    const traceAttrs = { ...attrs, 'krakend.stage': stageName, ...l.traceAttributes };
    const metricAttrs = { ...attrs, ...l.metricAttributes };
    return (req) => {
      const sdk = this.sdk;
      const inst = this.inst;
      if (!sdk || !inst) return stage(req);
      const started = performance.now();
      const parent = o.parent(req) ?? sdk.ROOT_CONTEXT;
      let span: Span | null = null;
      if (l.traces && sdk.tracer) {
        span = sdk.tracer.startSpan(name, { attributes: traceAttrs }, parent);
        if (l.reportHeaders)
          span.setAttributes(
            headerAttributes('http.request.header.', req.headers, l.skipHeaders, this.hidden),
          );
        o.keep(req, sdk.trace.setSpan(parent, span));
      }
      return stage(req).then((result) => {
        const canceled = req.scope.reason !== null;
        const complete = result.response?.complete === true;
        if (l.metrics)
          o.duration(inst).record((performance.now() - started) / 1000, {
            ...metricAttrs,
            error: result.error !== null && !canceled,
            canceled,
            complete,
          });
        if (span) this.endStage(span, result, canceled, complete, l);
        return result;
      });
    };
  }

  private endStage(span: Span, result: ProxyResult, canceled: boolean, complete: boolean, l: LayerSettings) {
    if (result.error) {
      span.setAttributes(canceled ? { canceled: true } : { error: this.redacted(result.error.message) });
      span.setAttribute('http.response.status_code', 500);
    } else if (result.response) {
      span.setAttribute('http.response.status_code', 200);
      const headers = result.response.headers;
      if (l.reportHeaders && headers)
        span.setAttributes(headerAttributes('http.response.header.', headers, l.skipHeaders, this.hidden));
    }
    span.setAttribute('complete', complete);
    span.end();
  }

  /**
   * The round trip of one backend (krakend-otel's instrumented HTTP client): a client span, whose context
   * the backend receives in `traceparent`, and the `http.client.*` metrics. It wraps the backend's own
   * call, inside its plugins.
   */
  roundTrip(b: TracedBackend, call: Stage): Stage {
    const { roundTrip: r } = backendSettings(
      this.cfg,
      b.extra?.[OPENTELEMETRY] as OpenTelemetryBackendNamespace,
    );
    if ((!r.traces && !r.metrics) || this.skipped(b.endpoint)) return call;
    const route = backendRoute(b.urlPattern);
    const attrs = backendAttributes(b, route);
    const traceAttrs = {
      ...attrs,
      'krakend.stage': 'backend-request',
      ...r.traceAttributes,
      // A host's userinfo (http://user:password@…) is a credential: written [REDACTED].
      'server.address': redactUrl(b.host, this.hiddenQuery),
    };
    const metricAttrs = { ...attrs, ...r.metricAttributes };
    return (req) => {
      const sdk = this.sdk;
      const inst = this.inst;
      if (!sdk || !inst) return call(req);
      const started = performance.now();
      let span: Span | null = null;
      let sent = req;
      if (r.metrics) inst.clientStarted.add(1, metricAttrs);
      if (r.traces && sdk.tracer) {
        const parent =
          this.backendContexts.get(req.scope)?.get(b) ??
          this.proxyContexts.get(req.scope) ??
          this.globalContexts.get(req.headers) ??
          sdk.ROOT_CONTEXT;
        span = sdk.tracer.startSpan(route, { kind: sdk.SpanKind.CLIENT, attributes: traceAttrs }, parent);
        // As krakend-otel: a span that is not sampled is neither reported nor propagated.
        if (span.isRecording()) {
          // Apart from the client's headers: theirs reach the backend only when input_headers lists them.
          const propagation: Record<string, string> = {};
          sdk.propagator.inject(sdk.trace.setSpan(parent, span), propagation, sdk.setter);
          sent = { ...req, propagation };
          if (r.reportHeaders)
            span.setAttributes(
              headerAttributes('http.request.header.', req.headers, r.skipHeaders, this.hidden),
            );
        }
      }
      return call(sent).then((result) => {
        if (r.metrics) {
          inst.clientDuration.record((performance.now() - started) / 1000, metricAttrs);
          if (result.error) inst.clientFailed.add(1, metricAttrs);
        }
        if (span) {
          if (result.error) {
            const err = result.error as Error & { code?: string };
            const message = this.redacted(err.message);
            span.recordException({
              name: err.name,
              message,
              ...(err.code ? { code: err.code } : {}),
              ...(err.stack ? { stack: this.redacted(err.stack) } : {}),
            });
            span.setStatus({ code: sdk.SpanStatusCode.ERROR, message });
          }
          span.end();
        }
        return result;
      });
    };
  }

  /**
   * An error's text with the URLs in it redacted as `url.full` is: a backend failure names the backend
   * URL (`Get "http://host/u?api_key=…": …`), whose query may carry the client's credential. Cut to
   * MAX_ERROR_TEXT: the batch processor holds up to 2048 spans.
   */
  private redacted(text: string): string {
    return redactUrlsIn(text.slice(0, MAX_ERROR_TEXT), this.hiddenQuery);
  }

  /**
   * Sends what is pending and stops the exporters; gives up on what is not sent within `limitMs`, and
   * warns when the collector did not take it (refused, or not in time).
   */
  async shutdown(limitMs = SHUTDOWN_LIMIT_MS): Promise<void> {
    await this.ready;
    const sdk = this.sdk;
    if (!sdk) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), limitMs);
      timer.unref();
    });
    const unsent = await Promise.race([sdk.shutdown().then((sent) => !sent), late]);
    clearTimeout(timer);
    if (unsent)
      this.log.warn(
        { code: 'SWY_TELEMETRY_UNFLUSHED', limit_ms: limitMs },
        `${OPENTELEMETRY}: the collector did not take the last spans and metrics in time; stopping without them`,
      );
  }
}

/** krakend-otel's attributes of a backend, on its stage and its round trip. */
function backendAttributes(b: TracedBackend, route: string): Attributes {
  return {
    'http.request.method': b.method,
    'http.route': route,
    'krakend.endpoint.route': endpointRoute(b.endpoint),
    'krakend.endpoint.method': b.endpointMethod,
  };
}

function instruments(sdk: Sdk, semconv127: boolean): Instruments {
  const meter = sdk.meter;
  const seconds = { unit: 's' };
  const bytes = { unit: 'By' };
  return {
    serverDuration: meter.createHistogram(
      semconv127 ? 'http.server.request.duration' : 'http.server.duration',
      seconds,
    ),
    serverSize: meter.createHistogram(
      semconv127 ? 'http.server.response.body.size' : 'http.server.response.size',
      bytes,
    ),
    proxyDuration: meter.createHistogram('krakend.proxy.duration', seconds),
    backendDuration: meter.createHistogram('krakend.backend.duration', seconds),
    clientDuration: meter.createHistogram(
      semconv127 ? 'http.client.request.duration' : 'http.client.duration',
      seconds,
    ),
    clientStarted: meter.createCounter('http.client.request.started.count'),
    clientFailed: meter.createCounter('http.client.request.failed.count'),
  };
}
