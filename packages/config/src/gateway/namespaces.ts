import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Duration } from './schema.js';

// The `extra_config` namespaces Switchyard implements, each with its own schema. A namespace that is not
// here is reported as a warning by `check` (and by the loader), never silently ignored.
const IGNORED_KEYS = '^[@$_#]';
const obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Object(props, { additionalProperties: false, patternProperties: { [IGNORED_KEYS]: {} } });

const FlatmapOp = obj({
  type: Type.Union([Type.Literal('move'), Type.Literal('del'), Type.Literal('append')]),
  args: Type.Array(Type.String(), { minItems: 1, maxItems: 2 }),
});

/** `proxy` (endpoint or backend level): sequential, static, flatmap_filter, shadow. */
export const ProxyNamespace = obj({
  sequential: Type.Optional(Type.Boolean()),
  static: Type.Optional(
    obj({
      strategy: Type.Union([
        Type.Literal('always'),
        Type.Literal('success'),
        Type.Literal('errored'),
        Type.Literal('complete'),
        Type.Literal('incomplete'),
      ]),
      data: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
  flatmap_filter: Type.Optional(Type.Array(FlatmapOp)),
  shadow: Type.Optional(Type.Boolean()),
});

/** `backend/http` (backend level): how backend errors reach the client. */
export const BackendHttpNamespace = obj({
  return_error_code: Type.Optional(Type.Boolean()),
  return_error_details: Type.Optional(Type.String({ minLength: 1 })),
});

/** `router` (root level): router behaviour. */
export const RouterNamespace = obj({
  return_error_msg: Type.Optional(Type.Boolean()),
  disable_health: Type.Optional(Type.Boolean()),
  health_path: Type.Optional(Type.String()),
  disable_access_log: Type.Optional(Type.Boolean()),
  auto_options: Type.Optional(Type.Boolean()),
  disable_redirect_trailing_slash: Type.Optional(Type.Boolean()),
  disable_redirect_fixed_path: Type.Optional(Type.Boolean()),
  remove_extra_slash: Type.Optional(Type.Boolean()),
  disable_path_decoding: Type.Optional(Type.Boolean()),
  max_multipart_memory: Type.Optional(Type.Integer({ minimum: 0 })),
  forwarded_by_client_ip: Type.Optional(Type.Boolean()),
  remote_ip_headers: Type.Optional(Type.Array(Type.String())),
  trusted_proxies: Type.Optional(Type.Array(Type.String())),
  app_engine: Type.Optional(Type.Boolean()),
  logger_skip_paths: Type.Optional(Type.Array(Type.String())),
  hide_version_header: Type.Optional(Type.Boolean()),
  use_h2c: Type.Optional(Type.Boolean()),
  /** Switchyard: maximum request body in bytes (413 beyond it). */
  max_body_bytes: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** `telemetry/events` (root level, Switchyard's own): which events the gateway emits and how. */
export const EventsNamespace = obj({
  types: Type.Optional(
    Type.Array(
      Type.Union([
        Type.Literal('request'),
        Type.Literal('response'),
        Type.Literal('plugin_updated'),
        Type.Literal('node_health'),
      ]),
    ),
  ),
  redact_headers: Type.Optional(Type.Array(Type.String())),
  sample_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  ring_size: Type.Optional(Type.Integer({ minimum: 1 })),
  health_interval: Type.Optional(Duration),
  node_id: Type.Optional(Type.String({ minLength: 1 })),
});

/** `admin` (root level, Switchyard's own): the admin listener. */
export const AdminNamespace = obj({
  listen: Type.Optional(Type.String({ description: 'host:port; 127.0.0.1:8091 unless configured' })),
  token: Type.Optional(
    Type.String({ minLength: 1, description: 'bearer token required on every admin route' }),
  ),
  disable: Type.Optional(Type.Boolean()),
});

export type NamespaceLevel = 'root' | 'endpoint' | 'backend';

/** Implemented namespaces, their schema and where they may appear. */
export const NAMESPACES: Record<string, { schema: TSchema; levels: readonly NamespaceLevel[] }> = {
  proxy: { schema: ProxyNamespace, levels: ['endpoint', 'backend'] },
  'backend/http': { schema: BackendHttpNamespace, levels: ['backend'] },
  router: { schema: RouterNamespace, levels: ['root'] },
  'telemetry/events': { schema: EventsNamespace, levels: ['root'] },
  admin: { schema: AdminNamespace, levels: ['root'] },
};

export type ProxyNamespace = Static<typeof ProxyNamespace>;
export type BackendHttpNamespace = Static<typeof BackendHttpNamespace>;
export type RouterNamespace = Static<typeof RouterNamespace>;
export type EventsNamespace = Static<typeof EventsNamespace>;
export type AdminNamespace = Static<typeof AdminNamespace>;
