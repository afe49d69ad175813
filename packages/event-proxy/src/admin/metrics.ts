import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SpoolStats } from '../spool/disk-spool.js';
import { CountedHistogram } from './counted-histogram.js';

export type DropReason = 'drop_oldest' | 'drop_newest' | 'shutdown';
export type SendOutcome = 'ok' | 'retryable' | 'permanent';

/** The proxy's Prometheus metrics, in a registry of its own so several proxies can share a process. */
export interface ProxyMetrics {
  readonly registry: Registry;
  /** Valid events taken in, before the filter, by source (`in_process`, `http`, `kong_http_log`, …). */
  received: Counter<'source'>;
  /** Items a source refused because they are not valid envelopes (or Kong log entries). */
  invalid: Counter<'source'>;
  filtered: Counter;
  delivered: Counter<'sink'>;
  /** Events sent again after a retryable failure of their batch. */
  retried: Counter<'sink'>;
  /** Events a sink tried again inside one send, before the pipeline saw the outcome. */
  sinkRetried: Counter<'sink'>;
  dropped: Counter<'reason'>;
  /** Events a producer was told to send again later (503 / SWY_QUEUE_FULL under the block policy). */
  refused: Counter<'source'>;
  deadLettered: Counter<'sink'>;
  sinkLatency: Histogram<'sink' | 'outcome'>;
  /**
   * Seconds from an event's timestamp to its confirmation by the sink (how far delivery runs behind): one
   * observation per event, taken per batch (`observe(sink, lag, events)`).
   */
  lag: CountedHistogram;
}

export function createProxyMetrics(queueDepth: () => { events: number; bytes: number }): ProxyMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_event_proxy_' });
  const registers = [registry];
  const metrics: ProxyMetrics = {
    registry,
    received: new Counter({
      name: 'switchyard_events_received_total',
      help: 'Valid events taken in, before the filter',
      labelNames: ['source'],
      registers,
    }),
    invalid: new Counter({
      name: 'switchyard_events_invalid_total',
      help: 'Items refused because they are not valid events',
      labelNames: ['source'],
      registers,
    }),
    filtered: new Counter({
      name: 'switchyard_events_filtered_total',
      help: 'Events left out by the event type filter',
      registers,
    }),
    delivered: new Counter({
      name: 'switchyard_events_delivered_total',
      help: 'Events the sink confirmed',
      labelNames: ['sink'],
      registers,
    }),
    retried: new Counter({
      name: 'switchyard_events_retried_total',
      help: 'Events sent again after a retryable failure',
      labelNames: ['sink'],
      registers,
    }),
    sinkRetried: new Counter({
      name: 'switchyard_events_sink_retried_total',
      help: 'Events a sink tried again inside one send (a reconnect, a metadata refresh, a short pause)',
      labelNames: ['sink'],
      registers,
    }),
    dropped: new Counter({
      name: 'switchyard_events_dropped_total',
      help: 'Events dropped, by reason (full policy, undelivered at shutdown)',
      labelNames: ['reason'],
      registers,
    }),
    refused: new Counter({
      name: 'switchyard_events_refused_total',
      help: 'Events refused because the queue was full under the block policy (the producer sends them again)',
      labelNames: ['source'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'switchyard_events_dead_lettered_total',
      help: 'Events written to the dead-letter file',
      labelNames: ['sink'],
      registers,
    }),
    sinkLatency: new Histogram({
      name: 'switchyard_sink_send_seconds',
      help: 'Time from handing a batch to the sink to its confirmation or failure',
      labelNames: ['sink', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new CountedHistogram(
      'switchyard_event_delivery_lag_seconds',
      "Seconds from an event's timestamp (whole seconds) to its confirmation by the sink",
      [1, 2, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400],
      registry,
    ),
  };
  new Gauge({
    name: 'switchyard_queue_events',
    help: 'Events waiting in the queue or spool, including those being sent',
    registers,
    collect() {
      this.set(queueDepth().events);
    },
  });
  new Gauge({
    name: 'switchyard_queue_bytes',
    help: 'Bytes of the events waiting in the queue or spool',
    registers,
    collect() {
      this.set(queueDepth().bytes);
    },
  });
  return metrics;
}

/** The disk spool's figures, registered when the queue is a spool: what it holds, its files, the damage skipped. */
export function registerSpoolMetrics(registry: Registry, stats: () => SpoolStats): void {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (s: SpoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value(stats()));
      },
    });
  gauge(
    'switchyard_spool_events',
    'Events held in the spool (not yet confirmed nor dropped)',
    (s) => s.events,
  );
  gauge('switchyard_spool_bytes', 'Bytes of the records held in the spool', (s) => s.bytes);
  gauge('switchyard_spool_segments', 'Segment files of the spool on disk', (s) => s.segments);
  // The spool counts these since it was opened; exposed as counters.
  const counter = (name: string, help: string, value: (s: SpoolStats) => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers,
      collect() {
        const now = value(stats());
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  counter('switchyard_spool_appended_total', 'Events written to the spool', (s) => s.appended);
  counter(
    'switchyard_spool_corrupt_records_total',
    'Damaged or torn spool records skipped (found on recovery or while reading)',
    (s) => s.corruptRecords,
  );
  counter(
    'switchyard_spool_corrupt_bytes_total',
    'Bytes of the damaged spool records skipped',
    (s) => s.corruptBytes,
  );
}
