import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** Calls of one (subject, method) pair: counts by status, and a latency histogram. */
class Series {
  readonly statuses = new Map<number | string, number>();
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly buckets: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    bounds: number,
  ) {
    this.buckets = new Array<number>(bounds + 1).fill(0);
  }
}

export interface FamilyNames {
  /** The counter, labelled subject, method and status. */
  total: { name: string; help: string };
  /** The histogram of seconds, labelled subject and method. */
  duration: { name: string; help: string };
}

/**
 * A counter (calls by subject, method and status) and a latency histogram (by subject and method) kept as
 * plain numbers, and registered in a prom-client registry, which reads them when scraped — through
 * `get()`, in the shape prom-client's own metrics return — and writes the text. The request path does two
 * Map lookups keyed by strings the gateway reuses (route patterns, method names, origins, whose hashes V8
 * keeps) and a few increments: prom-client's own `inc`/`observe` build and hash a label object per call,
 * and a key concatenated per request is a new string to hash; both showed in the gateway's profiles.
 */
export class CallTally {
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(
    /** The first label's name (`endpoint`, `backend`). */
    private readonly subject: string,
    names: FamilyNames,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    const collector = (name: string, help: string, type: string, samples: () => Sample[]) => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: samples() }),
      reset: () => this.series.clear(),
    });
    for (const metric of [
      collector(names.total.name, names.total.help, 'counter', () => this.totals()),
      collector(names.duration.name, names.duration.help, 'histogram', () =>
        this.durations(names.duration.name),
      ),
    ])
      registry.registerMetric(metric as unknown as Metric);
  }

  /** One call of `subject` with `method`, answered with `status` (a number, or e.g. "error"), taking `seconds`. */
  record(subject: string, method: string, status: number | string, seconds: number): void {
    let methods = this.series.get(subject);
    if (!methods) {
      methods = new Map();
      this.series.set(subject, methods);
    }
    let s = methods.get(method);
    if (!s) {
      s = new Series({ [this.subject]: subject, method }, this.bounds.length);
      methods.set(method, s);
    }
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    s.sum += seconds;
    s.count++;
  }

  private *all(): Generator<Series> {
    for (const methods of this.series.values()) yield* methods.values();
  }

  private totals(): Sample[] {
    const out: Sample[] = [];
    for (const s of this.all())
      for (const [status, value] of s.statuses)
        out.push({ value, labels: { ...s.labels, status: String(status) } });
    return out;
  }

  private durations(name: string): Sample[] {
    const out: Sample[] = [];
    const bucket = `${name}_bucket`;
    for (const s of this.all()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.buckets[i] as number;
        out.push({ value: acc, labels: { ...s.labels, le: String(le) }, metricName: bucket });
      });
      out.push({ value: s.count, labels: { ...s.labels, le: '+Inf' }, metricName: bucket });
      out.push({ value: s.sum, labels: s.labels, metricName: `${name}_sum` });
      out.push({ value: s.count, labels: s.labels, metricName: `${name}_count` });
    }
    return out;
  }
}
