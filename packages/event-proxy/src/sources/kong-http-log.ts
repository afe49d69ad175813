import { type Static, Type } from '@sinclair/typebox';
import {
  type EnvelopeOf,
  redactHeaders,
  redactQuery,
  redactUrl,
  sensitiveQueryNames,
  ulid,
} from '@switchyard/shared';

// Kong logs the query and the upstream URI as the client sent them: secrets in them are hidden as the
// gateway's own events hide them.
const HIDE_QUERY = sensitiveQueryNames();

import { Ajv } from 'ajv';

// The part of Kong's log serializer output (kong.log.serialize(), what http-log posts) that the mapping
// reads; every other field is allowed and ignored. Numbers Kong may write as strings (sizes from nginx
// variables in older versions) are accepted as either.
const NumberLike = Type.Union([Type.Number(), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })]);
const HeaderMap = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));

const KongLogEntry = Type.Object(
  {
    request: Type.Object(
      {
        id: Type.Optional(Type.String()),
        method: Type.String({ minLength: 1 }),
        uri: Type.Optional(Type.String()),
        url: Type.Optional(Type.String()),
        querystring: Type.Optional(
          Type.Record(Type.String(), Type.Union([Type.String(), Type.Boolean(), Type.Array(Type.Unknown())])),
        ),
        headers: Type.Optional(HeaderMap),
        size: Type.Optional(NumberLike),
      },
      { additionalProperties: true },
    ),
    response: Type.Object(
      {
        status: Type.Integer({ minimum: 100, maximum: 599 }),
        headers: Type.Optional(HeaderMap),
        size: Type.Optional(NumberLike),
      },
      { additionalProperties: true },
    ),
    latencies: Type.Optional(
      Type.Object(
        {
          request: Type.Optional(Type.Number()),
          kong: Type.Optional(Type.Number()),
          proxy: Type.Optional(Type.Number()),
        },
        { additionalProperties: true },
      ),
    ),
    client_ip: Type.Optional(Type.String()),
    started_at: Type.Optional(Type.Number({ minimum: 0 })),
    upstream_uri: Type.Optional(Type.String()),
    upstream_status: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    service: Type.Optional(Type.Object({}, { additionalProperties: true })),
    route: Type.Optional(Type.Object({}, { additionalProperties: true })),
    tries: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    kong_node_id: Type.Optional(Type.String()),
    node_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export type KongLogEntry = Static<typeof KongLogEntry>;

const ajv = new Ajv({ allErrors: true, strict: false });
const check = ajv.compile<KongLogEntry>(KongLogEntry);

/** The problems of one http-log entry (empty when it can be mapped), as JSON pointers and reasons. */
export function kongLogProblems(value: unknown): Array<{ pointer: string; reason: string }> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ pointer: '', reason: 'must be a JSON object (a Kong http-log entry)' }];
  }
  if (check(value)) {
    const { request } = value;
    if (request.uri === undefined && request.url === undefined) {
      return [{ pointer: '/request/uri', reason: 'is required (or /request/url)' }];
    }
    return [];
  }
  return (check.errors ?? [])
    .filter((e) => e.keyword !== 'anyOf')
    .map((e) =>
      e.keyword === 'required'
        ? { pointer: `${e.instancePath}/${e.params.missingProperty}`, reason: 'is required' }
        : { pointer: e.instancePath, reason: e.message ?? 'is invalid' },
    );
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const int = (v: unknown): number => {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : 0;
  return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
};

function header(headers: Record<string, string | string[]> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return str(Array.isArray(v) ? v[0] : v);
  }
  return undefined;
}

// Kong gives `?flag` as true and repeated keys as arrays; the envelope wants strings.
function queryOf(qs: KongLogEntry['request']['querystring']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(qs ?? {})) {
    out[k] = Array.isArray(v) ? v.map((x) => (x === true ? '' : String(x))) : v === true ? '' : String(v);
  }
  return out;
}

function pathOf(request: KongLogEntry['request']): string {
  const uri = request.uri ?? new URL(request.url as string).pathname;
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

interface BackendCall {
  url: string;
  method: string;
  status: number | null;
  latency_ms: number;
  error?: string;
}

// One backend call per balancer try; nginx's $upstream_status lists one status per try ("502, 200").
function backendsOf(entry: KongLogEntry, method: string, proxyMs: number): BackendCall[] {
  const service = entry.service as { protocol?: unknown; host?: unknown; port?: unknown } | undefined;
  const protocol = str(service?.protocol) ?? 'http';
  const upstreamUri = redactUrl(entry.upstream_uri ?? '', HIDE_QUERY);
  const statuses = String(entry.upstream_status ?? '')
    .split(/[,:]/)
    .map((s) => Number.parseInt(s.trim(), 10))
    .filter((n) => Number.isInteger(n));
  const tries = (entry.tries ?? []) as Array<{
    ip?: unknown;
    port?: unknown;
    state?: unknown;
    code?: unknown;
  }>;
  if (tries.length === 0) {
    const host = str(service?.host);
    if (!host || proxyMs < 0) return [];
    const port = service?.port === undefined ? '' : `:${String(service.port)}`;
    return [
      {
        url: `${protocol}://${host}${port}${upstreamUri}`,
        method,
        status: statuses.at(-1) ?? null,
        latency_ms: proxyMs,
      },
    ];
  }
  return tries.map((t, i) => {
    const last = i === tries.length - 1;
    const status =
      statuses.length === tries.length ? (statuses[i] as number) : last ? (statuses.at(-1) ?? null) : null;
    const state = str(t.state);
    return {
      url: `${protocol}://${String(t.ip)}:${String(t.port)}${upstreamUri}`,
      method,
      status: typeof t.code === 'number' ? t.code : status,
      latency_ms: last && proxyMs >= 0 ? proxyMs : 0,
      ...(state && { error: `${state}${typeof t.code === 'number' ? ` (${t.code})` : ''}` }),
    };
  });
}

export interface KongMappingOptions {
  /** The node id when the entry carries none (a custom field `kong_node_id`/`node_id` via custom_fields_by_lua). */
  nodeId: string;
  /** The request id when neither `request.id` nor X-Kong-Request-Id is present. */
  newId?: (ms: number) => string;
}

/**
 * Turns one entry of Kong's http-log payload into a `request` and a `response` envelope. `latencies.request`
 * (the whole request as Kong timed it) becomes `latency_ms`; `kong` and `proxy` are kept under `latencies`.
 * `started_at` (ms) gives both timestamps (the response's plus the request latency).
 */
export function mapKongLogEntry(
  entry: KongLogEntry,
  options: KongMappingOptions,
): [EnvelopeOf<'request'>, EnvelopeOf<'response'>] {
  const newId = options.newId ?? ulid;
  const { request, response } = entry;
  const startedMs = entry.started_at ?? Date.now();
  const requestMs = Math.max(0, entry.latencies?.request ?? 0);
  const proxyMs = entry.latencies?.proxy ?? -1;
  const endedMs = startedMs + requestMs;
  const requestId =
    str(request.id) ??
    header(request.headers, 'x-kong-request-id') ??
    header(response.headers, 'x-kong-request-id') ??
    newId(startedMs);
  const method = request.method.toUpperCase();
  const path = pathOf(request);
  const route = entry.route as { name?: unknown; id?: unknown; paths?: unknown } | undefined;
  const service = entry.service as { name?: unknown; id?: unknown; host?: unknown } | undefined;
  const routePaths = Array.isArray(route?.paths) ? (route.paths as unknown[]) : [];
  const endpoint = str(routePaths[0]) ?? str(route?.name) ?? path;
  const nodeId = entry.kong_node_id ?? entry.node_id ?? options.nodeId;
  const kong = {
    service: str(service?.name) ?? str(service?.id) ?? null,
    route: str(route?.name) ?? str(route?.id) ?? null,
    source: 'kong' as const,
  };
  const backends = backendsOf(entry, method, proxyMs);
  // Kong's own timings and names, beyond the envelope's required fields.
  const responseExtra = {
    latencies: {
      request: requestMs,
      kong: entry.latencies?.kong ?? null,
      proxy: proxyMs >= 0 ? proxyMs : null,
    },
    upstream_uri: entry.upstream_uri === undefined ? null : redactUrl(entry.upstream_uri, HIDE_QUERY),
    ...kong,
  };
  return [
    {
      id: newId(startedMs),
      event_type: 'request',
      timestamp: Math.floor(startedMs / 1000),
      kong_node_id: nodeId,
      data: {
        request_id: requestId,
        method,
        path,
        endpoint,
        query: redactQuery(queryOf(request.querystring), HIDE_QUERY),
        client_ip: entry.client_ip ?? '',
        headers: redactHeaders(request.headers ?? {}),
        body_bytes: int(request.size),
        ...kong,
      },
    },
    {
      id: newId(endedMs),
      event_type: 'response',
      timestamp: Math.floor(endedMs / 1000),
      kong_node_id: nodeId,
      data: {
        request_id: requestId,
        method,
        path,
        endpoint,
        status: response.status,
        latency_ms: requestMs,
        bytes: int(response.size),
        // An upstream answered, or Kong answered by itself without trying one (e.g. auth refused).
        completed: (entry.tries ?? []).length === 0 || proxyMs >= 0,
        backends,
        ...responseExtra,
      },
    },
  ];
}
