import { Histogram, type MetricValueWithName, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedHistogram } from '../src/admin/counted-histogram.js';

const BOUNDS = [1, 2, 5, 10, 30];

describe('CountedHistogram', () => {
  it("is exposed exactly as prom-client's Histogram with the same observations, one per count", async () => {
    const observations: [sink: string, value: number, count: number][] = [
      ['kafka', 0, 3],
      ['kafka', 1, 2],
      ['kafka', 1.5, 1],
      ['http', 7.25, 4],
      ['kafka', 31, 5],
      ['http', 30, 1],
    ];
    const counted = new Registry();
    const reference = new Registry();
    const h = new CountedHistogram('lag_seconds', 'Lag', BOUNDS, counted);
    const r = new Histogram({
      name: 'lag_seconds',
      help: 'Lag',
      labelNames: ['sink'],
      buckets: BOUNDS,
      registers: [reference],
    });
    for (const [sink, value, count] of observations) {
      h.observe(sink, value, count);
      for (let i = 0; i < count; i++) r.observe({ sink }, value);
    }
    expect(await counted.metrics()).toBe(await reference.metrics());
    // As JSON too, less the exemplars a Histogram without them lists as null.
    const values = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).flatMap((m) =>
        (m.values as MetricValueWithName<string>[]).map(({ labels, value, metricName }) => ({
          labels,
          value,
          metricName,
        })),
      );
    expect(await values(counted)).toEqual(await values(reference));
  });

  it('starts over on reset, as the registry resets it', async () => {
    const registry = new Registry();
    const h = new CountedHistogram('lag_seconds', 'Lag', BOUNDS, registry);
    h.observe('kafka', 3, 10);
    registry.resetMetrics();
    h.observe('kafka', 3);
    expect(await registry.metrics()).toContain('lag_seconds_count{sink="kafka"} 1');
  });

  it('sums as prom-client does, one addition per observation (the exposed _sum is the same float)', async () => {
    const counted = new Registry();
    const reference = new Registry();
    const h = new CountedHistogram('lag_seconds', 'Lag', BOUNDS, counted);
    const r = new Histogram({
      name: 'lag_seconds',
      help: 'Lag',
      labelNames: ['sink'],
      buckets: BOUNDS,
      registers: [reference],
    });
    // 68.6864493068023 × 15 is 1030.2967396020344; added 15 times, 1030.2967396020342.
    h.observe('kafka', 68.6864493068023, 15);
    for (let i = 0; i < 15; i++) r.observe({ sink: 'kafka' }, 68.6864493068023);
    expect(await counted.metrics()).toBe(await reference.metrics());
  });

  it('orders its labels as prom-client does under the registry default labels', async () => {
    const counted = new Registry();
    const reference = new Registry();
    for (const registry of [counted, reference]) registry.setDefaultLabels({ node: 'a' });
    const h = new CountedHistogram('lag_seconds', 'Lag', BOUNDS, counted);
    const r = new Histogram({
      name: 'lag_seconds',
      help: 'Lag',
      labelNames: ['sink'],
      buckets: BOUNDS,
      registers: [reference],
    });
    h.observe('kafka', 3, 2);
    r.observe({ sink: 'kafka' }, 3);
    r.observe({ sink: 'kafka' }, 3);
    expect(await counted.metrics()).toBe(await reference.metrics());
    expect(await counted.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });
});
