import { type Envelope, envelopeProblems, ulidTime } from '@switchyard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventHub, type GapInfo, type RequestInfo, type ResponseInfo } from '../src/events/index.js';

let n = 0;
const request = (over: Partial<RequestInfo> = {}): RequestInfo => ({
  request_id: `req-${++n}-${Math.random().toString(36).slice(2)}`,
  method: 'GET',
  path: '/users/1',
  endpoint: '/users/{id}',
  query: { q: 'x' },
  client_ip: '127.0.0.1',
  headers: { accept: 'application/json', authorization: 'Bearer secret', 'x-api-key': 'k1', cookie: 'a=b' },
  body_bytes: 0,
  ...over,
});
const response: ResponseInfo = {
  status: 200,
  latency_ms: 4.2,
  bytes: 17,
  completed: true,
  backends: [{ url: 'http://127.0.0.1:9/u', method: 'GET', status: 200, latency_ms: 3 }],
};

const hubs: EventHub[] = [];
const newHub = (...args: ConstructorParameters<typeof EventHub>) => {
  const hub = new EventHub(...args);
  hubs.push(hub);
  return hub;
};
afterEach(() => {
  for (const h of hubs.splice(0)) h.close();
});

function collect(hub: EventHub, afterId?: string) {
  const events: Envelope[] = [];
  const gaps: GapInfo[] = [];
  const unsubscribe = hub.subscribe((e) => events.push(e), { afterId, onGap: (g) => gaps.push(g) });
  return { events, gaps, unsubscribe };
}

describe('EventHub', () => {
  it('builds valid request and response envelopes with sensitive and configured headers redacted', () => {
    const hub = newHub({ settings: { node_id: 'node-a', redact_headers: ['X-Api-Key'] } });
    const { events } = collect(hub);
    const req = request();
    hub.requestStarted(req);
    hub.requestFinished(req, response);
    expect(events.map((e) => e.event_type)).toEqual(['request', 'response']);
    for (const e of events) {
      expect(envelopeProblems(e)).toEqual([]);
      expect(e.kong_node_id).toBe('node-a');
    }
    const [reqEvent, resEvent] = events as [Envelope, Envelope];
    expect(reqEvent.data).toMatchObject({
      request_id: req.request_id,
      endpoint: '/users/{id}',
      headers: {
        accept: 'application/json',
        authorization: '[REDACTED]',
        cookie: '[REDACTED]',
        'x-api-key': '[REDACTED]',
      },
    });
    expect(resEvent.data).toEqual({
      request_id: req.request_id,
      method: 'GET',
      path: '/users/1',
      endpoint: '/users/{id}',
      ...response,
    });
    // The caller's object is not modified by redaction.
    expect(req.headers.authorization).toBe('Bearer secret');
  });

  it('reads nothing from the request and records nothing while no consumer is attached', () => {
    const hub = newHub();
    const untouchable = new Proxy({} as RequestInfo, {
      get() {
        throw new Error('the hub read the request although nobody listens');
      },
    });
    hub.requestStarted(untouchable);
    hub.requestFinished(untouchable, response);
    hub.emitPluginUpdated('qos/circuit-breaker', '/a', 'state', 'closed', 'open');
    hub.emitHealth();
    expect(hub.recording).toBe(false);
    expect(hub.retained).toBe(0);
  });

  it('emits only the configured types', () => {
    const hub = newHub({ settings: { types: ['response', 'plugin_updated'] } });
    const { events } = collect(hub);
    const req = request();
    hub.requestStarted(req);
    hub.requestFinished(req, response);
    hub.emitPluginUpdated('security/cors', 'global', 'config', { a: 1 }, { a: 2 });
    hub.emitHealth();
    expect(events.map((e) => e.event_type)).toEqual(['response', 'plugin_updated']);
    expect(events[1]?.data).toEqual({
      plugin: 'security/cors',
      scope: 'global',
      change: 'config',
      from: { a: 1 },
      to: { a: 2 },
    });
  });

  it('samples per request: a request and its response are kept or dropped together', () => {
    const hub = newHub({ settings: { sample_rate: 0.3 } });
    const { events } = collect(hub);
    const total = 2000;
    for (let i = 0; i < total; i++) {
      const req = request();
      hub.requestStarted(req);
      hub.requestFinished(req, response);
    }
    const byId = new Map<string, string[]>();
    for (const e of events) {
      const id = (e.data as { request_id: string }).request_id;
      byId.set(id, [...(byId.get(id) ?? []), e.event_type]);
    }
    for (const types of byId.values()) expect(types).toEqual(['request', 'response']);
    // A fair hash keeps about 30%; the bounds are wide so this is not a flaky statistics test.
    expect(byId.size).toBeGreaterThan(total * 0.2);
    expect(byId.size).toBeLessThan(total * 0.4);
  });

  it('gives each event a ULID carrying its creation time, strictly increasing', () => {
    const hub = newHub();
    const { events } = collect(hub);
    const before = Date.now();
    for (let i = 0; i < 50; i++) hub.emitPluginUpdated('p', 's', 'config', i, i + 1);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(ulidTime(id)).toBeGreaterThanOrEqual(before);
      expect(ulidTime(id)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('replays retained events after an id, then continues live', () => {
    const hub = newHub();
    const first = collect(hub);
    for (let i = 0; i < 5; i++) hub.emitPluginUpdated('p', 's', 'config', i, i + 1);
    const resumeAfter = first.events[1]?.id as string;
    const second = collect(hub, resumeAfter);
    hub.emitPluginUpdated('p', 's', 'config', 5, 6);
    expect(second.gaps).toEqual([]);
    expect(second.events.map((e) => e.id)).toEqual(first.events.slice(2).map((e) => e.id));
  });

  it('reports an exact gap when the resume id fell out of the ring', () => {
    const hub = newHub({ settings: { ring_size: 10 } });
    const first = collect(hub);
    for (let i = 0; i < 25; i++) hub.emitPluginUpdated('p', 's', 'config', i, i + 1);
    const resumeAfter = first.events[4]?.id as string; // events 5..14 are gone, 15..24 retained
    const second = collect(hub, resumeAfter);
    expect(second.gaps).toEqual([
      { missed: 10, from: resumeAfter, oldest: first.events[15]?.id, exact: true },
    ]);
    expect(second.events.map((e) => e.id)).toEqual(first.events.slice(15).map((e) => e.id));
  });

  it('reports a gap (not exact) for an id it did not make', () => {
    const hub = newHub({ settings: { ring_size: 3 } });
    const first = collect(hub);
    for (let i = 0; i < 5; i++) hub.emitPluginUpdated('p', 's', 'config', i, i + 1);
    const foreign = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const second = collect(hub, foreign);
    expect(second.gaps).toEqual([{ missed: 2, from: foreign, oldest: first.events[2]?.id, exact: false }]);
    expect(second.events).toHaveLength(3);
  });

  it('keeps recording for retainMs after the last consumer left, then pauses and says so on resume', () => {
    vi.useFakeTimers();
    try {
      const hub = newHub({ retainMs: 1000 });
      const first = collect(hub);
      hub.emitPluginUpdated('p', 's', 'config', 0, 1);
      first.unsubscribe();
      hub.emitPluginUpdated('p', 's', 'config', 1, 2); // within the retain window: recorded
      expect(hub.retained).toBe(2);
      vi.advanceTimersByTime(1000);
      expect(hub.recording).toBe(false);
      hub.emitPluginUpdated('p', 's', 'config', 2, 3); // paused: not recorded
      expect(hub.retained).toBe(2);

      const back = collect(hub, first.events[0]?.id);
      // It gets the retained event, but it cannot know how many went unrecorded: a gap, not exact.
      expect(back.events.map((e) => (e.data as { to: number }).to)).toEqual([2]);
      expect(back.gaps).toHaveLength(1);
      expect(back.gaps[0]).toMatchObject({ exact: false });
    } finally {
      vi.useRealTimers();
    }
  });

  it('isolates a throwing subscriber', () => {
    const hub = newHub();
    hub.subscribe(() => {
      throw new Error('boom');
    });
    const { events } = collect(hub);
    hub.emitPluginUpdated('p', 's', 'config', 0, 1);
    expect(events).toHaveLength(1);
  });

  it('unsubscribe stops delivery and is idempotent', () => {
    const hub = newHub();
    const a = collect(hub);
    const b = collect(hub);
    a.unsubscribe();
    a.unsubscribe();
    hub.emitPluginUpdated('p', 's', 'config', 0, 1);
    expect(a.events).toHaveLength(0);
    expect(b.events).toHaveLength(1);
    expect(hub.subscribers).toBe(1);
  });
});

describe('EventHub node_health', () => {
  it('reports the process and the gateway figures', () => {
    const hub = newHub({
      settings: { node_id: 'n1' },
      health: {
        inFlight: () => 7,
        backends: () => [{ url: 'http://a', status: 'ok', breaker: 'closed' }],
      },
    });
    const { events } = collect(hub);
    hub.emitHealth();
    const e = events[0] as Envelope;
    expect(envelopeProblems(e)).toEqual([]);
    expect(e.event_type).toBe('node_health');
    expect(e.data).toMatchObject({
      status: 'ok',
      in_flight: 7,
      backends: [{ url: 'http://a', status: 'ok', breaker: 'closed' }],
    });
    const d = e.data as { rss_bytes: number; uptime_s: number; event_loop_lag_ms: number; version: string };
    expect(d.rss_bytes).toBeGreaterThan(0);
    expect(d.event_loop_lag_ms).toBeGreaterThanOrEqual(0);
    expect(d.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('emits on every status transition, and only then outside the interval', () => {
    let breaker: 'closed' | 'open' = 'closed';
    const hub = newHub({
      health: {
        backends: () => [
          { url: 'http://a', breaker },
          { url: 'http://b', breaker: 'closed' },
        ],
      },
    });
    const { events } = collect(hub);
    hub.emitHealth();
    hub.checkHealth(); // unchanged: nothing
    breaker = 'open';
    hub.emitPluginUpdated('qos/circuit-breaker', 'http://a', 'state', 'closed', 'open');
    breaker = 'closed';
    hub.checkHealth();
    const statuses = events
      .filter((e) => e.event_type === 'node_health')
      .map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(['ok', 'degraded', 'ok']);
  });

  it('emits periodically every health_interval once started', async () => {
    const hub = newHub({ settings: { health_interval: '20ms', types: ['node_health'] } });
    const { events } = collect(hub);
    hub.start();
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
    expect(events.every((e) => e.event_type === 'node_health')).toBe(true);
  });
});
