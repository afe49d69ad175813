import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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
  dropped: Counter<'reason'>;
  deadLettered: Counter<'sink'>;
  sinkLatency: Histogram<'sink' | 'outcome'>;
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
    dropped: new Counter({
      name: 'switchyard_events_dropped_total',
      help: 'Events dropped, by reason (full policy, undelivered at shutdown)',
      labelNames: ['reason'],
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
