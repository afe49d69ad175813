import type { MetricsNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendHealth } from '../events/health.js';
import type { GatewayObserver, RequestInfo, ResponseInfo } from '../events/observer.js';

export const METRICS = 'telemetry/metrics';

/** Seconds; from 1 ms to 30 s, where gateway and backend latencies fall. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BREAKER_VALUE: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface MetricsSources {
  inFlight: () => number;
  /** Breaker states (`PluginHost.breakerStates()`, whose entries carry their scope). */
  breakers: () => readonly (BackendHealth & { scope?: string })[];
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (one per gateway, so several can share a
 * process), read on the admin listener's `/metrics`. Fed as an observer of finished requests. Backends are
 * labelled by origin (scheme://host:port), never by full URL, so label values stay bounded by the config.
 */
export class GatewayMetrics implements GatewayObserver {
  readonly recording = true;
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'method' | 'status'> | null = null;
  private readonly latency: Histogram<'endpoint' | 'method'> | null = null;
  private readonly backendCalls: Counter<'backend' | 'method' | 'status'> | null = null;
  private readonly backendLatency: Histogram<'backend' | 'method'> | null = null;

  constructor(cfg: MetricsNamespace, sources: MetricsSources, logger: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_gateway_' });
    for (const key of ['listen_address', 'collection_time'] as const)
      if (cfg[key] !== undefined)
        logger.warn(
          { setting: `${METRICS}.${key}` },
          'metrics are served on the admin listener and computed when scraped; ignored',
        );
    if (cfg.router_disabled !== true && cfg.endpoint_disabled !== true) {
      this.requests = new Counter({
        name: 'switchyard_gateway_requests_total',
        help: 'Requests answered, by endpoint pattern ("" when no route matched), method and status',
        labelNames: ['endpoint', 'method', 'status'],
        registers,
      });
      this.latency = new Histogram({
        name: 'switchyard_gateway_request_duration_seconds',
        help: 'Time from a request’s arrival to its complete answer',
        labelNames: ['endpoint', 'method'],
        buckets: BUCKETS,
        registers,
      });
    }
    if (cfg.backend_disabled !== true && cfg.proxy_disabled !== true) {
      this.backendCalls = new Counter({
        name: 'switchyard_gateway_backend_requests_total',
        help: 'Backend calls, by backend origin, method and status ("error" when there was no answer)',
        labelNames: ['backend', 'method', 'status'],
        registers,
      });
      this.backendLatency = new Histogram({
        name: 'switchyard_gateway_backend_duration_seconds',
        help: 'Time of one backend call',
        labelNames: ['backend', 'method'],
        buckets: BUCKETS,
        registers,
      });
    }
    new Gauge({
      name: 'switchyard_gateway_requests_in_flight',
      help: 'Requests being answered',
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    new Gauge({
      name: 'switchyard_gateway_circuit_breaker_state',
      help: 'Circuit breaker state per backend scope: 0 closed, 1 half-open, 2 open',
      labelNames: ['scope', 'backend'],
      registers,
      collect() {
        this.reset();
        for (const b of sources.breakers())
          this.set({ scope: b.scope ?? '', backend: origin(b.url) }, BREAKER_VALUE[b.breaker ?? ''] ?? 0);
      },
    });
  }

  requestStarted(_req: RequestInfo): void {}

  requestFinished(req: RequestInfo, res: ResponseInfo): void {
    this.requests?.inc({ endpoint: req.endpoint, method: req.method, status: String(res.status) });
    this.latency?.observe({ endpoint: req.endpoint, method: req.method }, res.latency_ms / 1000);
    if (!this.backendCalls || !this.backendLatency) return;
    for (const b of res.backends) {
      const backend = origin(b.url);
      this.backendCalls.inc({
        backend,
        method: b.method,
        status: b.status === null ? 'error' : String(b.status),
      });
      this.backendLatency.observe({ backend, method: b.method }, b.latency_ms / 1000);
    }
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Another observer plus the metrics: both see every request. */
export function withMetrics(other: GatewayObserver, metrics: GatewayMetrics | null): GatewayObserver {
  if (!metrics) return other;
  return {
    recording: true,
    requestStarted(req) {
      other.requestStarted(req);
    },
    requestFinished(req, res) {
      other.requestFinished(req, res);
      metrics.requestFinished(req, res);
    },
  };
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
