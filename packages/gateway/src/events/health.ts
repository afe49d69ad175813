import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type HealthStatus, type NodeHealthData, VERSION } from '@switchyard/shared';

export type BackendHealth = NonNullable<NodeHealthData['backends']>[number];

/** What the gateway supplies for `node_health`; each is called when a health event is built. */
export interface HealthSources {
  /** Requests being served now. */
  inFlight?: () => number;
  /** Backend and circuit-breaker states. */
  backends?: () => BackendHealth[];
  /** Overrides the status derived from `backends`. */
  status?: () => HealthStatus;
}

// The histogram samples every RESOLUTION_MS and records the timer's whole delay, so an idle loop reads
// about RESOLUTION_MS; the lag is what exceeds it.
const RESOLUTION_MS = 10;

/** Derives the node status: all backends failing → down, any failing or recovering → degraded. */
export function deriveStatus(backends: readonly BackendHealth[]): HealthStatus {
  let failing = 0;
  let unsteady = 0;
  for (const b of backends) {
    if (b.status === 'down' || b.breaker === 'open') failing++;
    else if (b.status === 'degraded' || b.breaker === 'half-open') unsteady++;
  }
  if (backends.length > 0 && failing === backends.length) return 'down';
  return failing + unsteady > 0 ? 'degraded' : 'ok';
}

/** Measures this process for `node_health`: uptime, RSS, event-loop lag, plus the gateway's own figures. */
export class HealthProbe {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor(private readonly sources: HealthSources) {}

  start(): void {
    this.histogram.enable();
  }

  stop(): void {
    this.histogram.disable();
  }

  status(): HealthStatus {
    if (this.sources.status) return this.sources.status();
    return deriveStatus(this.sources.backends?.() ?? []);
  }

  /** A health snapshot; the lag is the p99 since the previous snapshot. */
  sample(): NodeHealthData {
    const backends = this.sources.backends?.() ?? [];
    const status = this.sources.status ? this.sources.status() : deriveStatus(backends);
    const p99 = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : RESOLUTION_MS;
    this.histogram.reset();
    return {
      status,
      uptime_s: Math.round(process.uptime()),
      rss_bytes: process.memoryUsage.rss(),
      event_loop_lag_ms: Math.max(0, Math.round((p99 - RESOLUTION_MS) * 100) / 100),
      in_flight: this.sources.inFlight?.() ?? 0,
      version: VERSION,
      backends,
    };
  }
}
