import { createEnvelope, envelopeProblems, isEnvelope, MAX_PROBLEMS_PER_ITEM } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

const request = createEnvelope(
  'request',
  {
    request_id: 'r-1',
    method: 'GET',
    path: '/users/1',
    endpoint: '/users/{id}',
    query: { a: '1', b: ['2', '3'] },
    client_ip: '127.0.0.1',
    headers: { accept: 'application/json', authorization: '[REDACTED]' },
    body_bytes: 0,
  },
  'node-1',
);
const response = createEnvelope(
  'response',
  {
    request_id: 'r-1',
    method: 'GET',
    path: '/users/1',
    endpoint: '/users/{id}',
    status: 200,
    latency_ms: 12.5,
    bytes: 42,
    completed: false,
    backends: [
      { url: 'http://127.0.0.1:1/a', method: 'GET', status: 200, latency_ms: 3 },
      { url: 'http://127.0.0.1:1/b', method: 'GET', status: null, latency_ms: 2000, error: 'timeout' },
    ],
  },
  'node-1',
);
const plugin = createEnvelope(
  'plugin_updated',
  {
    plugin: 'qos/circuit-breaker',
    scope: '/users/{id} → http://a',
    change: 'state',
    from: 'closed',
    to: 'open',
  },
  'node-1',
);
const health = createEnvelope(
  'node_health',
  {
    status: 'degraded',
    uptime_s: 10,
    rss_bytes: 1000,
    event_loop_lag_ms: 1.2,
    in_flight: 3,
    version: '0.1.0',
    backends: [{ url: 'http://a', breaker: 'open' }],
  },
  'node-1',
);

describe('event envelope schema', () => {
  it.each([request, response, plugin, health])('accepts a $event_type event', (event) => {
    expect(envelopeProblems(event)).toEqual([]);
    expect(isEnvelope(event)).toBe(true);
  });

  it('stamps id, Unix seconds and node id', () => {
    const e = createEnvelope('plugin_updated', plugin.data, 'n', 1_695_000_000_999);
    expect(e.timestamp).toBe(1_695_000_000);
    expect(e.kong_node_id).toBe('n');
    expect(e.id).toMatch(/^[0-9A-Z]{26}$/);
  });

  const cases: [string, unknown, { pointer: string; message: RegExp }][] = [
    ['not an object', [1], { pointer: '', message: /must be a JSON object/ }],
    ['missing id', { ...request, id: undefined }, { pointer: '/id', message: /is required/ }],
    ['empty id', { ...request, id: '' }, { pointer: '/id', message: /fewer than 1/ }],
    [
      'unknown type',
      { ...request, event_type: 'reqest' },
      {
        pointer: '/event_type',
        message: /must be one of request, response, plugin_updated, node_health \(got "reqest"\)/,
      },
    ],
    [
      'ms timestamp',
      { ...request, timestamp: 1_695_000_000_000 },
      { pointer: '/timestamp', message: /Unix seconds/ },
    ],
    [
      'string timestamp',
      { ...request, timestamp: '1695000000' },
      { pointer: '/timestamp', message: /must be integer/ },
    ],
    [
      'extra envelope field',
      { ...request, extra: 1 },
      { pointer: '/extra', message: /not an envelope field/ },
    ],
    ['data not object', { ...request, data: 'x' }, { pointer: '/data', message: /must be object/ }],
    [
      'request without request_id',
      { ...request, data: { ...request.data, request_id: undefined } },
      { pointer: '/data/request_id', message: /is required/ },
    ],
    [
      'negative body_bytes',
      { ...request, data: { ...request.data, body_bytes: -1 } },
      { pointer: '/data/body_bytes', message: />= 0/ },
    ],
    [
      'response status out of range',
      { ...response, data: { ...response.data, status: 700 } },
      { pointer: '/data/status', message: /<= 599/ },
    ],
    [
      'backend without url',
      { ...response, data: { ...response.data, backends: [{ method: 'GET', status: 200, latency_ms: 1 }] } },
      { pointer: '/data/backends/0/url', message: /is required/ },
    ],
    [
      'completed as string',
      { ...response, data: { ...response.data, completed: 'yes' } },
      { pointer: '/data/completed', message: /must be boolean/ },
    ],
    [
      'plugin change unknown',
      { ...plugin, data: { ...plugin.data, change: 'other' } },
      { pointer: '/data/change', message: /constant/ },
    ],
    [
      'health status unknown',
      { ...health, data: { ...health.data, status: 'fine' } },
      { pointer: '/data/status', message: /constant/ },
    ],
  ];

  it.each(cases)('rejects %s with a precise reason', (_name, value, expected) => {
    const problems = envelopeProblems(value);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.pointer === expected.pointer && expected.message.test(p.message))).toBe(
      true,
    );
  });
});

describe('envelopeProblems on large bad items (bounded work and answer)', () => {
  const base = { id: 'e-1', event_type: 'response', timestamp: 1_700_000_000, kong_node_id: 'n' };
  const data = {
    request_id: 'r',
    method: 'GET',
    path: '/',
    endpoint: '/',
    status: 200,
    latency_ms: 1,
    bytes: 0,
    completed: true,
  };

  it('300k bad backends: the first problem, not 1.2M of them', () => {
    const backends = Array.from({ length: 300_000 }, () => ({}));
    const problems = envelopeProblems({ ...base, data: { ...data, backends } });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.length).toBeLessThanOrEqual(MAX_PROBLEMS_PER_ITEM + 1);
    expect(problems[0]?.pointer).toMatch(/^\/data\/backends\/0\//);
  });

  it('100k unknown envelope keys: the first problem only', () => {
    const value: Record<string, unknown> = { ...base, data: { ...data, backends: [] } };
    for (let i = 0; i < 100_000; i++) value[`k${i}`] = 1;
    const problems = envelopeProblems(value);
    expect(problems.length).toBeLessThanOrEqual(MAX_PROBLEMS_PER_ITEM + 1);
    expect(problems[0]).toEqual({ pointer: '/k0', message: 'is not an envelope field' });
  });

  it('a small item: every problem up to the cap, then how many more', () => {
    const backends = Array.from({ length: 30 }, () => ({}));
    const problems = envelopeProblems({ ...base, data: { ...data, backends } });
    expect(problems).toHaveLength(MAX_PROBLEMS_PER_ITEM + 1);
    // Each `{}` misses url, method, status and latency_ms.
    expect(problems.at(-1)).toEqual({
      pointer: '',
      message: `+${30 * 4 - MAX_PROBLEMS_PER_ITEM} more problems`,
    });
  });
});
