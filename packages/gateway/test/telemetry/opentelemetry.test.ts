import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway } from '../support/gateway.js';
import { until } from '../support/wait.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP HTTP receiver on loopback: the JSON bodies the exporters post, by path. */
async function receiver() {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      expect(req.headers['content-type']).toBe('application/json');
      posts.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const spans = () =>
    posts
      .filter((p) => p.path === '/v1/traces')
      .flatMap((p) =>
        (p.body.resourceSpans as { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ ...span, resource: r.resource }))),
        ),
      );
  const metricNames = () =>
    posts
      .filter((p) => p.path === '/v1/metrics')
      .flatMap((p) =>
        (p.body.resourceMetrics as { scopeMetrics: { metrics: { name: string }[] }[] }[]).flatMap((r) =>
          r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)),
        ),
      );
  return { port, spans, metricNames, posts, close: () => server.close() };
}

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('telemetry/opentelemetry', () => {
  let backend: TestBackend;
  let seen: IncomingHttpHeaders[];
  beforeAll(async () => {
    seen = [];
    backend = await startBackend((req, res) => {
      seen.push(req.headers);
      json(res, { ok: true });
    });
  });
  afterAll(async () => {
    await backend.close();
  });

  const config = (port: number, otel: Record<string, unknown> = {}) => ({
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
    ],
  });

  it('continues the incoming trace: a server span, a client span per backend, traceparent sent on', async () => {
    const otlp = await receiver();
    try {
      const gw = await startGateway(config(otlp.port, { skip_paths: ['/quiet'] }));
      expect((await send(gw.port, '/quiet')).status).toBe(200);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      const res = await send(gw.port, '/users/7', { headers: { traceparent: `00-${traceId}-${parent}-01` } });
      expect(res.status).toBe(200);
      await gw.close();
      await until(() => otlp.spans().length >= 3);
      const spans = otlp.spans();
      // skip_paths: no server span for /quiet (its backend call is still a client span).
      expect(spans.filter((s) => s.kind === 2).map((s) => s.name)).toEqual(['GET /users/{id}']);
      const server = spans.find((s) => s.kind === 2) as OtlpSpan;
      const client = spans.find((s) => s.kind === 3 && s.traceId === traceId) as OtlpSpan;
      expect(server).toMatchObject({ name: 'GET /users/{id}', traceId, parentSpanId: parent });
      expect(attr(server, 'http.response.status_code')).toEqual({ intValue: 200 });
      expect(attr(server, 'http.route')).toEqual({ stringValue: '/users/{id}' });
      expect(client).toMatchObject({ traceId, parentSpanId: server.spanId });
      expect(client.name).toBe(`GET ${backend.origin}/u/{id}`);
      // The backend got the client span's context, though input_headers does not list traceparent.
      expect(seen.at(-1)?.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
      expect(JSON.stringify((spans[0] as unknown as { resource: unknown }).resource)).toContain('"edge"');
      await until(() => otlp.metricNames().includes('http.server.request.duration'));
      expect(otlp.metricNames()).toContain('http.client.request.duration');
    } finally {
      otlp.close();
    }
  });

  it('trace_sample_rate 0 records no trace; metrics still go', async () => {
    const otlp = await receiver();
    try {
      const gw = await startGateway(config(otlp.port, { trace_sample_rate: 0 }));
      expect((await send(gw.port, '/users/1')).status).toBe(200);
      expect((await send(gw.port, '/quiet')).status).toBe(200);
      await gw.close();
      await until(() => otlp.metricNames().length > 0);
      expect(otlp.spans()).toEqual([]);
      expect(seen.at(-1)?.traceparent).toMatch(/-00$/);
    } finally {
      otlp.close();
    }
  });

  it('layers: global and backend turned off send nothing; gRPC exporters are not used', async () => {
    const otlp = await receiver();
    try {
      const gw = await startGateway({
        ...config(otlp.port, {
          layers: {
            global: { disable_metrics: true, disable_traces: true },
            backend: { metrics: { disable_stage: true }, traces: { disable_stage: true } },
          },
        }),
      });
      expect((await send(gw.port, '/users/1')).status).toBe(200);
      expect(seen.at(-1)?.traceparent).toBeUndefined();
      await gw.close();
      expect(otlp.spans()).toEqual([]);
      const grpc = await startGateway({
        ...config(otlp.port),
        extra_config: {
          'telemetry/opentelemetry': { exporters: { otlp: [{ host: '127.0.0.1', port: otlp.port }] } },
        },
      });
      expect((await send(grpc.port, '/users/1')).status).toBe(200);
      await grpc.close();
      expect(otlp.posts).toEqual([]);
    } finally {
      otlp.close();
    }
  });
});
