import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  GatewayStreamSource,
  type StreamGap,
} from '../../packages/event-proxy/src/sources/gateway-stream.js';
import { type AdminServer, createAdminServer } from '../../packages/gateway/src/admin/index.js';
import { EventHub } from '../../packages/gateway/src/events/index.js';

// The gateway's admin SSE stream read by the event proxy's gateway source, both real, over loopback.

const logger = createLogger({ level: 'silent' });
const hub = new EventHub({ settings: { ring_size: 50, node_id: 'gw-1' } });
const admins: AdminServer[] = [];
const sources: GatewayStreamSource[] = [];

const startAdmin = async (listen = '127.0.0.1:0') => {
  const admin = createAdminServer({ hub, listen, token: 'tok', health: () => ({ status: 'ok' }) });
  admins.push(admin);
  return admin.start();
};

let n = 0;
function emitRequests(count: number) {
  for (let i = 0; i < count; i++) {
    const req = {
      request_id: `e2e-${++n}`,
      method: 'GET',
      path: '/a',
      endpoint: '/a',
      query: {},
      client_ip: '127.0.0.1',
      headers: { authorization: 'Bearer secret' },
      body_bytes: 0,
    };
    hub.requestStarted(req);
    hub.requestFinished(req, { status: 200, latency_ms: 1, bytes: 2, completed: true, backends: [] });
  }
}

afterAll(async () => {
  for (const s of sources) await s.stop();
  for (const a of admins) await a.close();
  hub.close();
});

describe('gateway admin stream → GatewayStreamSource', () => {
  const emitted: Envelope[] = [];
  hub.subscribe((e) => emitted.push(e));
  const received: Envelope[] = [];
  let url = '';
  let cursor: string | undefined;

  it('delivers every event in order, and resumes across a gateway admin restart without loss or repeats', async () => {
    const first = await startAdmin();
    url = first.url;
    const source = new GatewayStreamSource({
      url,
      token: 'tok',
      logger,
      backoff: { initialMs: 10, maxMs: 50 },
      onEvents: async (events) => {
        received.push(...events);
      },
    });
    sources.push(source);
    source.start();
    await vi.waitFor(() => expect(hub.subscribers).toBe(2), { timeout: 20_000 });
    emitRequests(20);
    await vi.waitFor(() => expect(received).toHaveLength(40), { timeout: 20_000 });

    await admins[0]?.close(); // the stream drops
    emitRequests(10); // emitted while the source cannot read: the ring keeps them
    await startAdmin(`127.0.0.1:${first.port}`);
    await vi.waitFor(() => expect(received).toHaveLength(60), { timeout: 10_000 });
    expect(received.map((e) => e.id)).toEqual(emitted.map((e) => e.id));
    expect(received[0]?.data).toMatchObject({ headers: { authorization: '[REDACTED]' } });
    await source.stop();
    cursor = source.cursor;
    expect(cursor).toBe(emitted.at(-1)?.id);
  });

  it('a source restarted after the ring moved on reports the exact gap, then gets what is retained', async () => {
    emitRequests(50); // 100 events; the ring keeps the last 50
    const gaps: StreamGap[] = [];
    const after: Envelope[] = [];
    const source = new GatewayStreamSource({
      url,
      token: 'tok',
      lastId: cursor,
      logger,
      onGap: (g) => void gaps.push(g),
      onEvents: async (events) => {
        after.push(...events);
      },
    });
    sources.push(source);
    source.start();
    await vi.waitFor(() => expect(after).toHaveLength(50), { timeout: 20_000 });
    expect(gaps).toEqual([{ missed: 50, from: cursor, oldest: emitted.at(-50)?.id, exact: true }]);
    expect(after.map((e) => e.id)).toEqual(emitted.slice(-50).map((e) => e.id));
  });
});
