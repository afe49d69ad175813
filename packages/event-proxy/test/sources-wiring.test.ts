import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventProxy } from '@switchyard/event-proxy';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileProxy } from './support/file-proxy.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('sources');
let proxy: EventProxy | undefined;
let server: Server | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});
afterAll(() => tmp.cleanup());

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until(check: () => boolean) {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('sources chosen by the settings', () => {
  it('gateway.admin_url: reads the gateway event stream into the pipeline, asking only for the filtered types', async () => {
    const sent = sampleEvents(12).filter((e) => e.event_type === 'request' || e.event_type === 'response');
    const queries: string[] = [];
    const url = await serve((req, res) => {
      queries.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of sent) res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const p = await fileProxy(tmp.dir, 'gateway', {
      gateway: { admin_url: url },
      filter: { types: ['request', 'response'] },
    });
    proxy = p.proxy;
    await until(() => p.delivered().length >= sent.length);
    expect(p.delivered()).toEqual(sent);
    expect(queries[0]).toBe('/__events?from=oldest&types=request%2Cresponse');
  });

  it('kong.admin_url: polls the Kong Admin API, delivers its node_health events, and lends its node id to http-log events', async () => {
    const url = await serve((req, res) => {
      const body =
        req.url === '/'
          ? { node_id: '5b4e5b1a-kong-node', version: '3.8.0' }
          : req.url?.startsWith('/status')
            ? { database: { reachable: true }, server: { connections_active: 2 } }
            : { data: [], next: null };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const p = await fileProxy(tmp.dir, 'kong', {
      kong: { admin_url: url, admin_timeout_ms: 2000, poll_interval_ms: 60_000 },
    });
    proxy = p.proxy;
    await until(() => p.delivered().length >= 1);
    const [event] = p.delivered() as Array<{
      event_type: string;
      kong_node_id: string;
      data: { status: string };
    }>;
    expect(event).toMatchObject({
      event_type: 'node_health',
      kong_node_id: '5b4e5b1a-kong-node',
      data: { status: 'ok' },
    });
    // http-log entries carry no node id: they get the polled Kong's.
    const entry = JSON.parse(
      readFileSync(new URL('./fixtures/kong/http-log-entry.json', import.meta.url), 'utf8'),
    );
    const res = await request(`${p.url}/kong/http-log`, { method: 'POST', body: JSON.stringify(entry) });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    await proxy.flush(10_000);
    const fromLog = (p.delivered() as Array<{ kong_node_id: string; data: { request_id?: string } }>).filter(
      (e) => e.data.request_id === entry.request.id,
    );
    expect(fromLog.map((e) => e.kong_node_id)).toEqual(['5b4e5b1a-kong-node', '5b4e5b1a-kong-node']);
  });
});
