import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway } from '../support/gateway.js';
import { until } from '../support/wait.js';
import { attr, KIND, type OtlpSpan, otlpReceiver, strings } from './otlp-receiver.js';

describe('telemetry/opentelemetry', () => {
  let backend: TestBackend;
  let seen: IncomingHttpHeaders[];
  beforeAll(async () => {
    seen = [];
    backend = await startBackend((req, res) => {
      seen.push(req.headers);
      res.setHeader('set-cookie', 'session=backend-secret');
      json(res, { ok: true });
    });
  });
  afterAll(async () => {
    await backend.close();
  });

  const config = (port: number, otel: Record<string, unknown> = {}, endpoints: unknown[] = []) => ({
    extra_config: {
      'telemetry/opentelemetry': {
        service_name: 'edge',
        exporters: { otlp: [{ name: 'local', host: '127.0.0.1', port, use_http: true }] },
        ...otel,
      },
    },
    endpoints: [
      { endpoint: '/users/{id}', backend: [{ host: [backend.origin], url_pattern: '/u/{id}' }] },
      { endpoint: '/quiet', backend: [{ host: [backend.origin], url_pattern: '/q' }] },
      ...endpoints,
    ] as never,
  });

  it('the three layers as krakend-otel names them, continuing the incoming trace; skip_paths records nothing', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(config(otlp.port, { skip_paths: ['/quiet'] }));
      expect((await send(gw.port, '/quiet')).status).toBe(200);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      const res = await send(gw.port, '/users/7', { headers: { traceparent: `00-${traceId}-${parent}-01` } });
      expect(res.status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 4);
      const spans = otlp.spans();
      // skip_paths: nothing for /quiet, in any layer.
      expect(spans).toHaveLength(4);
      const byStage = (stage: string) =>
        spans.find((s) => attr(s, 'krakend.stage')?.stringValue === stage) as OtlpSpan;
      const server = byStage('global');
      const proxy = byStage('proxy');
      const stage = byStage('backend');
      const client = byStage('backend-request');
      // The global span is named by the request's path, the others by their (lura) route.
      expect(server).toMatchObject({ name: '/users/7', kind: KIND.server, traceId, parentSpanId: parent });
      expect(attr(server, 'http.route')).toEqual({ stringValue: '/users/:id' });
      expect(attr(server, 'http.response.status_code')).toEqual({ intValue: 200 });
      expect(attr(server, 'url.full')).toEqual({ stringValue: '/users/7' });
      expect(proxy).toMatchObject({
        name: '/users/:id',
        kind: KIND.internal,
        traceId,
        parentSpanId: server.spanId,
      });
      expect(attr(proxy, 'http.request.method')).toEqual({ stringValue: 'GET' });
      expect(attr(proxy, 'complete')).toEqual({ boolValue: true });
      expect(stage).toMatchObject({ name: '/u/:id', kind: KIND.internal, parentSpanId: proxy.spanId });
      expect(attr(stage, 'krakend.endpoint.route')).toEqual({ stringValue: '/users/:id' });
      expect(attr(stage, 'krakend.endpoint.method')).toEqual({ stringValue: 'GET' });
      expect(client).toMatchObject({ name: '/u/:id', kind: KIND.client, parentSpanId: stage.spanId });
      // The backend got the round trip's context, though input_headers does not list traceparent.
      expect(seen.at(-1)?.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
      expect(JSON.stringify(server.resource)).toContain('"edge"');
      await until(() => otlp.metricNames().includes('http.client.request.started.count'));
      expect(otlp.metricNames()).toEqual(
        expect.arrayContaining([
          'http.server.duration',
          'http.server.response.size',
          'krakend.proxy.duration',
          'krakend.backend.duration',
          'http.client.duration',
          'http.client.request.started.count',
        ]),
      );
      // Nothing recorded for the skipped endpoint.
      expect(otlp.points().filter((p) => attr(p, 'http.route')?.stringValue === '/quiet')).toEqual([]);
    } finally {
      otlp.close();
    }
  });

  it('report_headers and static attributes; credentials are never exported', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(
        config(otlp.port, {
          layers: {
            global: {
              report_headers: true,
              skip_headers: ['X-Skipped'],
              semantic_convention: '1.27',
              traces_static_attributes: [
                { key: 'team', value: 'edge' },
                { key: 'empty', value: '' },
              ],
              metrics_static_attributes: [{ key: 'team', value: 'edge-m' }],
            },
            proxy: {
              report_headers: true,
              traces_static_attributes: [{ key: 'layer', value: 'p' }],
              metrics_static_attributes: [{ key: 'layer', value: 'pm' }],
            },
            backend: {
              metrics: { round_trip: true, static_attributes: [{ key: 'svc', value: 'users-m' }] },
              traces: {
                round_trip: true,
                report_headers: true,
                static_attributes: [{ key: 'svc', value: 'users' }],
              },
            },
          },
        }),
      );
      const res = await send(gw.port, '/users/1?api_key=query-secret&page=2', {
        headers: {
          'x-custom': 'visible',
          'x-skipped': 'no',
          authorization: 'Bearer top-secret',
          cookie: 'session=cookie-secret',
          'x-api-key': 'key-secret',
        },
      });
      expect(res.status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 4);
      const spans = otlp.spans();
      const text = JSON.stringify(otlp.posts);
      for (const secret of ['top-secret', 'cookie-secret', 'key-secret', 'backend-secret', 'query-secret'])
        expect(text).not.toContain(secret);
      const byStage = (stage: string) =>
        spans.find((s) => attr(s, 'krakend.stage')?.stringValue === stage) as OtlpSpan;
      const server = byStage('global');
      expect(server.name).toBe('/users/1');
      expect(attr(server, 'url.full')).toEqual({ stringValue: '/users/1?api_key=[REDACTED]&page=2' });
      expect(strings(server, 'http.request.header.x-custom')).toEqual(['visible']);
      expect(strings(server, 'http.request.header.authorization')).toEqual(['[REDACTED]']);
      expect(strings(server, 'http.request.header.cookie')).toEqual(['[REDACTED]']);
      expect(strings(server, 'http.request.header.x-api-key')).toEqual(['[REDACTED]']);
      expect(attr(server, 'http.request.header.x-skipped')).toBeUndefined();
      expect(strings(server, 'http.response.header.content-type')).toEqual([
        'application/json; charset=utf-8',
      ]);
      expect(attr(server, 'team')).toEqual({ stringValue: 'edge' });
      expect(attr(server, 'empty')).toBeUndefined();
      const proxy = byStage('proxy');
      expect(strings(proxy, 'http.request.header.x-custom')).toEqual(['visible']);
      expect(strings(proxy, 'http.request.header.authorization')).toEqual(['[REDACTED]']);
      expect(attr(proxy, 'layer')).toEqual({ stringValue: 'p' });
      // round_trip written: the stage span stays (disable_stage is false), both carry the static attribute.
      expect(attr(byStage('backend'), 'svc')).toEqual({ stringValue: 'users' });
      const client = byStage('backend-request');
      expect(attr(client, 'svc')).toEqual({ stringValue: 'users' });
      expect(strings(client, 'http.request.header.cookie')).toEqual(['[REDACTED]']);
      // read_payload and detailed_connection are not written: no round trip metrics beyond the duration.
      await until(() => otlp.metricNames().includes('krakend.backend.duration'));
      const point = (metric: string) => otlp.points().find((p) => p.metric === metric);
      // semantic_convention 1.27: the stable names.
      expect(otlp.metricNames()).toEqual(
        expect.arrayContaining(['http.server.request.duration', 'http.server.response.body.size']),
      );
      expect(otlp.metricNames()).toContain('http.client.request.duration');
      expect(attr(point('http.server.request.duration') as never, 'team')).toEqual({ stringValue: 'edge-m' });
      expect(attr(point('krakend.proxy.duration') as never, 'layer')).toEqual({ stringValue: 'pm' });
      expect(attr(point('krakend.proxy.duration') as never, 'error')).toEqual({ boolValue: false });
      expect(attr(point('krakend.backend.duration') as never, 'svc')).toEqual({ stringValue: 'users-m' });
    } finally {
      otlp.close();
    }
  });

  it('a failed backend call whose URL carries a query credential exports it redacted', async () => {
    const otlp = await otlpReceiver();
    // A port that refuses: the call fails with an error naming the backend URL, query included.
    // The host's userinfo is a credential too (server.address names the host).
    const origin = `http://edge:pw-secret@127.0.0.1:${await closedPort()}`;
    try {
      const gw = await startGateway(
        config(otlp.port, {}, [
          {
            endpoint: '/down',
            input_query_strings: ['api_key'],
            backend: [{ host: [origin], url_pattern: '/d' }],
          },
        ]),
      );
      const res = await send(gw.port, '/down?api_key=topsecret');
      expect(res.status).toBeGreaterThanOrEqual(500);
      await gw.close();
      await until(() =>
        otlp.spans().some((s) => attr(s, 'krakend.stage')?.stringValue === 'backend-request'),
      );
      const exported = JSON.stringify(otlp.posts);
      // The failure is reported, its URL with the credential hidden.
      expect(exported).toContain('api_key=[REDACTED]');
      expect(exported).not.toContain('topsecret');
      expect(exported).not.toContain('pw-secret');
    } finally {
      otlp.close();
    }
  });

  it('endpoint and backend overrides replace the root layers for them only', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(
        config(otlp.port, {}, [
          {
            endpoint: '/own',
            extra_config: {
              'telemetry/opentelemetry': {
                global: { traces_static_attributes: [{ key: 'owner', value: 'team-charlie' }] },
                proxy: { disable_traces: true },
              },
            },
            backend: [
              {
                host: [backend.origin],
                url_pattern: '/o',
                extra_config: {
                  'telemetry/opentelemetry': {
                    backend: {
                      traces: {
                        disable_stage: true,
                        round_trip: true,
                        static_attributes: [{ key: 'b', value: '1' }],
                      },
                    },
                  },
                },
              },
            ],
          },
        ]),
      );
      expect((await send(gw.port, '/own')).status).toBe(200);
      expect((await send(gw.port, '/users/2')).status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 6);
      const spans = otlp.spans();
      const own = spans.filter((s) => s.traceId === spans.find((x) => x.name === '/own')?.traceId);
      const stages = (list: OtlpSpan[]) => list.map((s) => attr(s, 'krakend.stage')?.stringValue).sort();
      // /own: no proxy span, no backend stage span; the round trip hangs from the global span.
      expect(stages(own)).toEqual(['backend-request', 'global']);
      const server = own.find((s) => s.kind === KIND.server) as OtlpSpan;
      const client = own.find((s) => s.kind === KIND.client) as OtlpSpan;
      expect(attr(server, 'owner')).toEqual({ stringValue: 'team-charlie' });
      expect(client.parentSpanId).toBe(server.spanId);
      expect(attr(client, 'b')).toEqual({ stringValue: '1' });
      // /users/{id} keeps the root's layers.
      const users = spans.filter((s) => !own.includes(s));
      expect(stages(users)).toEqual(['backend', 'backend-request', 'global', 'proxy']);
      expect(users.every((s) => attr(s, 'owner') === undefined)).toBe(true);
    } finally {
      otlp.close();
    }
  });

  it('a modifier/lua-endpoint script, which copies the headers, keeps the spans in one trace', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(
        config(otlp.port, {}, [
          {
            endpoint: '/scripted',
            extra_config: {
              'modifier/lua-endpoint': { pre: 'local c = ctx.load()\nc:headers("X-Lua", "1")' },
            },
            backend: [{ host: [backend.origin], url_pattern: '/s' }],
          },
        ]),
      );
      expect((await send(gw.port, '/scripted')).status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 4);
      const spans = otlp.spans();
      const server = spans.find((s) => s.kind === KIND.server) as OtlpSpan;
      const proxy = spans.find((s) => attr(s, 'krakend.stage')?.stringValue === 'proxy') as OtlpSpan;
      expect(proxy).toMatchObject({ traceId: server.traceId, parentSpanId: server.spanId });
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    } finally {
      otlp.close();
    }
  });

  it('trace_sample_rate 0 records no trace and propagates none; metrics still go', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(config(otlp.port, { trace_sample_rate: 0 }));
      // A client's own context is not forwarded either: input_headers does not list it.
      const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' };
      expect((await send(gw.port, '/users/1', { headers })).status).toBe(200);
      await gw.close();
      await until(() => otlp.metricNames().length > 0);
      expect(otlp.spans()).toEqual([]);
      expect(seen.at(-1)?.traceparent).toBeUndefined();
    } finally {
      otlp.close();
    }
  });

  it("disable_propagation: a client's trace context is not continued, in the spans or to the backend", async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(config(otlp.port, { layers: { global: { disable_propagation: true } } }));
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await send(gw.port, '/users/3', {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'client=secret' },
      });
      expect(res.status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 4);
      const server = otlp.spans().find((s) => s.kind === KIND.server) as OtlpSpan;
      const client = otlp.spans().find((s) => s.kind === KIND.client) as OtlpSpan;
      // A trace of the gateway's own: as krakend-otel, whose server handler then has no propagator.
      expect(server.traceId).not.toBe(traceId);
      expect(server.parentSpanId ?? '').toBe('');
      // The backend gets that trace (krakend-otel's client transport always injects), not the client's.
      expect(seen.at(-1)?.traceparent).toBe(`00-${server.traceId}-${client.spanId}-01`);
      expect(seen.at(-1)?.tracestate).toBeUndefined();
    } finally {
      otlp.close();
    }
  });

  it('layers turned off send nothing; an exporter taking neither signal leaves telemetry off', async () => {
    const otlp = await otlpReceiver();
    try {
      const gw = await startGateway(
        config(otlp.port, {
          layers: {
            global: { disable_metrics: true, disable_traces: true, disable_propagation: true },
            proxy: { disable_metrics: true, disable_traces: true },
            backend: { metrics: { disable_stage: true }, traces: { disable_stage: true } },
          },
        }),
      );
      expect((await send(gw.port, '/users/1')).status).toBe(200);
      expect(seen.at(-1)?.traceparent).toBeUndefined();
      await gw.close();
      expect(otlp.posts).toEqual([]);
      const none = await startGateway(
        config(otlp.port, {
          exporters: {
            otlp: [
              {
                host: '127.0.0.1',
                port: otlp.port,
                use_http: true,
                disable_metrics: true,
                disable_traces: true,
              },
            ],
          },
        }),
      );
      expect((await send(none.port, '/users/1')).status).toBe(200);
      await none.close();
      expect(otlp.posts).toEqual([]);
    } finally {
      otlp.close();
    }
  });
});
