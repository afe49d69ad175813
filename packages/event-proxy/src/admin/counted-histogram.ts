import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string | number>;

/**
 * One line of the exposition, as prom-client's Histogram gives it to its Registry: `le` in `labels`, the
 * series' own labels in `sharedLabels` (the Registry places its default labels between the two).
 */
interface Value {
  labels: Labels;
  sharedLabels: Labels;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/** A line as prom-client's Histogram#get gives it (getMetricsAsJSON): the shared labels merged in. */
interface SplayedValue {
  labels: Labels;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

interface Exposed<V> {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: V[];
}

interface Series {
  labels: { sink: string };
  /** Observations per bucket (not cumulative), the last one past every bound (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with one label, `sink`, that takes `count` equal observations in one call. The
 * delivery lag is one observation per confirmed event, and a batch's events share their confirmation time
 * and have whole-second timestamps, so a batch has a few distinct lags: a call per distinct value instead of
 * prom-client's Histogram.observe per event (0.4 µs each: it checks and hashes the labels every time). It is
 * exposed exactly as prom-client exposes a Histogram (`_bucket{le}`, `_sum`, `_count`).
 */
export class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // prom-client's Registry takes any object with get(), reset() and these fields as a metric.
    registry.registerMetric(this as unknown as Metric);
  }

  /** Records `count` observations of `value` for `sink`. */
  observe(sink: string, value: number, count = 1): void {
    let s = this.series.get(sink);
    if (!s) {
      s = { labels: { sink }, buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(sink, s);
    }
    let b = 0;
    while (b < this.bounds.length && value > (this.bounds[b] as number)) b++;
    s.buckets[b] = (s.buckets[b] as number) + count;
    // One addition per observation, as prom-client sums: `value * count` can differ in the last bit.
    for (let i = 0; i < count; i++) s.sum += value;
    s.count += count;
  }

  /** What the Registry's text exposition reads (prom-client's Histogram#getForPromString). */
  getForPromString(): Exposed<Value> {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      const line = (labels: Labels, value: number, metricName: string, exemplar: null | undefined) =>
        values.push({ labels, sharedLabels: s.labels, value, metricName, exemplar });
      let cumulative = 0;
      for (const [i, le] of this.bounds.entries()) {
        cumulative += s.buckets[i] as number;
        line({ le }, cumulative, bucket, null);
      }
      line({ le: '+Inf' }, s.count, bucket, null);
      line({}, s.sum, `${this.name}_sum`, undefined);
      line({}, s.count, `${this.name}_count`, undefined);
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** What getMetricsAsJSON and cluster aggregation read (prom-client's Histogram#get). */
  get(): Exposed<SplayedValue> {
    const exposed = this.getForPromString();
    const values = exposed.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...exposed, values };
  }

  reset(): void {
    this.series = new Map();
  }
}
