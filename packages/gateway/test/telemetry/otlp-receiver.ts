import { createServer, type Server } from 'node:http';

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  resource: unknown;
}

export interface OtlpPoint {
  metric: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** OTLP span kinds as the JSON encoding numbers them. */
export const KIND = { internal: 1, server: 2, client: 3 } as const;

type Attr = { key: string; value: Record<string, unknown> };
type Metric = { name: string } & Record<string, { dataPoints?: { attributes?: Attr[] }[] } | string>;

/** An OTLP/HTTP (JSON) receiver on loopback: what the exporters post, decoded. */
export async function otlpReceiver() {
  const posts: { path: string; type: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({
        path: req.url ?? '',
        type: req.headers['content-type'] ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const spans = (): OtlpSpan[] =>
    posts
      .filter((p) => p.path === '/v1/traces')
      .flatMap((p) =>
        (p.body.resourceSpans as { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ ...span, resource: r.resource }))),
        ),
      );
  const points = (): OtlpPoint[] =>
    posts
      .filter((p) => p.path === '/v1/metrics')
      .flatMap((p) =>
        (p.body.resourceMetrics as { scopeMetrics: { metrics: Metric[] }[] }[]).flatMap((r) =>
          r.scopeMetrics.flatMap((s) =>
            s.metrics.flatMap((m) =>
              Object.values(m).flatMap((data) =>
                typeof data === 'object' && data.dataPoints
                  ? data.dataPoints.map((d) => ({ metric: m.name, attributes: d.attributes ?? [] }))
                  : [],
              ),
            ),
          ),
        ),
      );
  const metricNames = () => [...new Set(points().map((p) => p.metric))];
  return { port, spans, points, metricNames, posts, close: () => server.close() };
}

/** An attribute's value as OTLP JSON writes it (`{ stringValue: … }`, `{ intValue: … }`, …). */
export const attr = (item: { attributes: Attr[] }, key: string) =>
  item.attributes.find((a) => a.key === key)?.value;

/** A string-array attribute's values. */
export const strings = (item: { attributes: Attr[] }, key: string) =>
  (
    attr(item, key) as { arrayValue?: { values?: { stringValue: string }[] } } | undefined
  )?.arrayValue?.values?.map((v) => v.stringValue);
