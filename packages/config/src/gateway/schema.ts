import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { DURATION_PATTERN } from '@switchyard/shared';

// The KrakenD v3 configuration file, for the features Switchyard implements. Defaults are KrakenD's.
// Keys starting with `@`, `$`, `_` or `#` (comments, `$schema`) are allowed anywhere, as KrakenD allows them.
const IGNORED_KEYS = '^[@$_#]';
const obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, description?: string) =>
  Type.Object(props, {
    additionalProperties: false,
    patternProperties: { [IGNORED_KEYS]: {} },
    ...(description ? { description } : {}),
  });

export const Duration = Type.String({
  pattern: DURATION_PATTERN,
  description: 'a Go duration: 2s, 1m30s, 250ms',
});

export const Encoding = Type.Union(
  [
    Type.Literal('json'),
    Type.Literal('safejson'),
    Type.Literal('string'),
    Type.Literal('no-op'),
    Type.Literal('xml'),
    Type.Literal('rss'),
  ],
  { description: 'how the backend response is decoded' },
);

export const OutputEncoding = Type.Union([
  Type.Literal('json'),
  Type.Literal('json-collection'),
  Type.Literal('string'),
  Type.Literal('no-op'),
  Type.Literal('negotiate'),
  Type.Literal('xml'),
  Type.Literal('yaml'),
]);

export const HttpMethod = Type.Union(
  ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'].map((m) =>
    Type.Literal(m),
  ),
);

/** `extra_config`: namespaced plugin settings. Each known namespace is validated by its own schema. */
export const ExtraConfig = Type.Record(Type.String(), Type.Unknown());

export const Backend = obj({
  host: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  url_pattern: Type.String({ description: 'backend path; {param} placeholders are URL-encoded' }),
  method: Type.Optional(HttpMethod),
  encoding: Type.Optional(Encoding),
  sd: Type.Optional(Type.Union([Type.Literal('static'), Type.Literal('dns')])),
  sd_scheme: Type.Optional(Type.String()),
  disable_host_sanitize: Type.Optional(Type.Boolean()),
  allow: Type.Optional(Type.Array(Type.String())),
  deny: Type.Optional(Type.Array(Type.String())),
  mapping: Type.Optional(Type.Record(Type.String(), Type.String())),
  group: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  is_collection: Type.Optional(Type.Boolean()),
  input_headers: Type.Optional(Type.Array(Type.String())),
  input_query_strings: Type.Optional(Type.Array(Type.String())),
  extra_config: Type.Optional(ExtraConfig),
});

export const Endpoint = obj({
  endpoint: Type.String({ description: 'the path clients call, starting with /; {param} segments' }),
  method: Type.Optional(HttpMethod),
  backend: Type.Array(Backend, { minItems: 0 }),
  concurrent_calls: Type.Optional(Type.Integer({ minimum: 1 })),
  timeout: Type.Optional(Duration),
  cache_ttl: Type.Optional(Duration),
  input_headers: Type.Optional(Type.Array(Type.String())),
  input_query_strings: Type.Optional(Type.Array(Type.String())),
  output_encoding: Type.Optional(OutputEncoding),
  extra_config: Type.Optional(ExtraConfig),
});

export const GatewaySchema = obj(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(3, { description: 'the KrakenD configuration version; must be 3' }),
    name: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    listen_ip: Type.Optional(Type.String()),
    host: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    timeout: Type.Optional(Duration),
    cache_ttl: Type.Optional(Duration),
    output_encoding: Type.Optional(OutputEncoding),
    echo_endpoint: Type.Optional(Type.Boolean()),
    debug_endpoint: Type.Optional(Type.Boolean()),
    read_timeout: Type.Optional(Duration),
    write_timeout: Type.Optional(Duration),
    idle_timeout: Type.Optional(Duration),
    read_header_timeout: Type.Optional(Duration),
    max_idle_connections: Type.Optional(Type.Integer({ minimum: 0 })),
    max_idle_connections_per_host: Type.Optional(Type.Integer({ minimum: 0 })),
    idle_connection_timeout: Type.Optional(Duration),
    max_header_bytes: Type.Optional(Type.Integer({ minimum: 1 })),
    disable_rest: Type.Optional(Type.Boolean()),
    disable_compression: Type.Optional(Type.Boolean()),
    sequential_start: Type.Optional(Type.Boolean()),
    plugin: Type.Optional(
      obj(
        {
          folder: Type.String({ description: 'the folder plugin modules are loaded from' }),
          pattern: Type.Optional(
            Type.String({ description: 'only files whose name contains it (and ends .mjs or .js)' }),
          ),
        },
        'plugin modules (ES modules, where KrakenD loads Go plugins)',
      ),
    ),
    endpoints: Type.Optional(Type.Array(Endpoint)),
    extra_config: Type.Optional(ExtraConfig),
  },
  'a KrakenD v3 configuration file',
);

/** KrakenD's defaults, applied by the loader where a key is absent. */
export const GATEWAY_DEFAULTS = {
  port: 8080,
  timeout: '2s',
  cache_ttl: '0s',
  output_encoding: 'json',
  method: 'GET',
  encoding: 'json',
  concurrent_calls: 1,
} as const;

export type Backend = Static<typeof Backend>;
/**
 * An endpoint as the loader hands it to the gateway. `unserved` is set by the loader (never read from the
 * file): why Switchyard cannot serve this endpoint faithfully. The gateway then answers it 500, as lura's
 * router answers an endpoint whose proxy it could not build, and serves the others.
 */
export type Endpoint = Static<typeof Endpoint> & { unserved?: string };
export type GatewayFile = Omit<Static<typeof GatewaySchema>, 'endpoints'> & { endpoints?: Endpoint[] };
export type Encoding = Static<typeof Encoding>;
export type OutputEncoding = Static<typeof OutputEncoding>;
export type HttpMethod = Static<typeof HttpMethod>;
export type { TSchema };
