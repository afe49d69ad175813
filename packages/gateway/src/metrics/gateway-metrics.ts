import type { MetricsNamespace } from '@switchyard/config';
import type { BackendCall, Logger } from '@switchyard/shared';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BackendHealth } from '../events/health.js';
import type { RedisStatus } from '../plugins/redis/connections.js';
import { CallTally } from './tally.js';

export const METRICS = 'telemetry/metrics';

/** Seconds; from 1 ms to 30 s, where gateway and backend latencies fall. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BREAKER_VALUE: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface MetricsSources {
  inFlight: () => number;
  /** Breaker states (`PluginHost.breakerStates()`, whose entries carry their scope). */
  breakers: () => readonly (BackendHealth & { scope?: string })[];
  /** The `redis` connections of the shared rate limits. */
  redis?: () => readonly RedisStatus[];
  /** The event worker's hand-off, when events are built in a worker. */
  events?: () => { dropped: number; pending: number; capacity: number; restarts: number };
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (one per gateway, so several can share a
 * process), read on the admin listener's `/metrics`. Each finished request is recorded from what the
 * exchange holds (endpoint, method, status, latency, backend calls), with no event data built for it.
 * Backends are labelled by origin (scheme://host:port), never by full URL, so label values stay bounded by
 * the config.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: CallTally | null = null;
  private readonly backendCalls: CallTally | null = null;
  private readonly origins = new OriginCache();

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
      this.requests = new CallTally(
        'endpoint',
        {
          total: {
            name: 'switchyard_gateway_requests_total',
            help: 'Requests answered, by endpoint pattern ("" when no route matched), method and status',
          },
          duration: {
            name: 'switchyard_gateway_request_duration_seconds',
            help: 'Time from a request’s arrival to its complete answer',
          },
        },
        BUCKETS,
        this.registry,
      );
    }
    if (cfg.backend_disabled !== true && cfg.proxy_disabled !== true) {
      this.backendCalls = new CallTally(
        'backend',
        {
          total: {
            name: 'switchyard_gateway_backend_requests_total',
            help: 'Backend calls, by backend origin, method and status ("error" when there was no answer)',
          },
          duration: {
            name: 'switchyard_gateway_backend_duration_seconds',
            help: 'Time of one backend call',
          },
        },
        BUCKETS,
        this.registry,
      );
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
    const redis = sources.redis;
    if (redis) {
      new Gauge({
        name: 'switchyard_gateway_ratelimit_redis_degraded',
        help: "1 while a Redis connection does not answer and shared rate limits use this node's own counters",
        labelNames: ['connection'],
        registers,
        collect() {
          this.reset();
          for (const r of redis()) this.set({ connection: r.connection }, r.degraded ? 1 : 0);
        },
      });
      new Counter({
        name: 'switchyard_gateway_ratelimit_redis_fallbacks_total',
        help: "Rate-limit decisions taken by this node's own counters because Redis did not answer",
        labelNames: ['connection'],
        registers,
        collect() {
          this.reset();
          for (const r of redis()) this.inc({ connection: r.connection }, r.fallbacks);
        },
      });
    }
    if (sources.events) this.eventGauges(sources.events);
  }

  private eventGauges(events: NonNullable<MetricsSources['events']>): void {
    const registers = [this.registry];
    new Gauge({
      name: 'switchyard_gateway_events_dropped_total',
      help: 'Event records the request thread could not hand to the event worker (the hand-off was full)',
      registers,
      collect() {
        this.set(events().dropped);
      },
    });
    new Gauge({
      name: 'switchyard_gateway_events_handoff_bytes',
      help: 'Bytes in the hand-off to the event worker not yet taken by it',
      registers,
      collect() {
        this.set(events().pending);
      },
    });
    new Gauge({
      name: 'switchyard_gateway_events_handoff_capacity_bytes',
      help: 'Size of the hand-off to the event worker',
      registers,
      collect() {
        this.set(events().capacity);
      },
    });
    new Gauge({
      name: 'switchyard_gateway_events_worker_restarts_total',
      help: 'Times the event worker failed and was started again',
      registers,
      collect() {
        this.set(events().restarts);
      },
    });
  }

  /** Whether backend calls are counted: the exchange then keeps its backend trace. */
  get backends(): boolean {
    return this.backendCalls !== null;
  }

  /** One answered request (`endpoint` "" when no route matched) and the backend calls made for it. */
  requestFinished(
    endpoint: string,
    method: string,
    status: number,
    latencyMs: number,
    calls: readonly BackendCall[] | null,
  ): void {
    this.requests?.record(endpoint, method, status, latencyMs / 1000);
    if (!calls || !this.backendCalls) return;
    for (const c of calls)
      this.backendCalls.record(
        this.origins.of(c.url),
        c.method,
        c.status === null ? 'error' : c.status,
        c.latency_ms / 1000,
      );
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Backend URLs → their origin without parsing each URL: the `scheme://authority` prefix is looked up, and
 * parsed (normalised as `URL.origin` does) only the first time. Prefixes come from the configured hosts,
 * so the cache stays small; it is cleared should it ever grow past its bound.
 */
class OriginCache {
  private readonly known = new Map<string, string>();

  of(url: string): string {
    const scheme = url.indexOf('://');
    if (scheme < 0) return origin(url);
    const end = url.indexOf('/', scheme + 3);
    const prefix = end < 0 ? url : url.slice(0, end);
    let found = this.known.get(prefix);
    if (found === undefined) {
      if (this.known.size >= 1024) this.known.clear();
      found = origin(prefix);
      this.known.set(prefix, found);
    }
    return found;
  }
}
