import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { BEARER_TOKEN_PATTERN, BEARER_TOKEN_TEXT } from '@switchyard/shared';
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
  /** Fields of earlier answers (`resp0_id`, `resp1_a.b`) made available to every later backend. */
  sequential_propagated_params: Type.Optional(Type.Array(Type.String())),
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

/** `switchyard/errors` (root level, Switchyard's own): statuses finer than KrakenD's 500 for failures. */
export const ERRORS_NAMESPACE = 'switchyard/errors';
export const ErrorsNamespace = obj({
  transport_statuses: Type.Optional(
    Type.Boolean({
      description:
        'answer refused/reset 502, timeout 504, open breaker or backend rate limit 503, undecodable body 502 (KrakenD answers 500)',
    }),
  ),
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
  redact_query: Type.Optional(Type.Array(Type.String())),
  sample_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  ring_size: Type.Optional(Type.Integer({ minimum: 1 })),
  ring_max_bytes: Type.Optional(Type.Integer({ minimum: 65_536, description: 'bytes the SSE ring holds' })),
  max_header_bytes: Type.Optional(
    Type.Integer({ minimum: 0, description: 'request header bytes one request event carries' }),
  ),
  handoff_bytes: Type.Optional(
    Type.Integer({
      minimum: 65_536,
      maximum: 1_073_741_824,
      description: 'size of the hand-off from the request thread to the event worker',
    }),
  ),
  record_health_checks: Type.Optional(Type.Boolean()),
  worker_nice: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 19,
      description: "the event worker's scheduling priority below the request thread's (nice steps)",
    }),
  ),
  worker_idle: Type.Optional(
    Type.Boolean({
      description: 'run the event worker under SCHED_IDLE (Linux): only on CPU time no other thread wants',
    }),
  ),
  health_interval: Type.Optional(Duration),
  node_id: Type.Optional(Type.String({ minLength: 1 })),
});

/** `admin` (root level, Switchyard's own): the admin listener. */
export const AdminNamespace = obj({
  listen: Type.Optional(Type.String({ description: 'host:port; 127.0.0.1:8091 unless configured' })),
  token: Type.Optional(
    Type.String({
      pattern: BEARER_TOKEN_PATTERN,
      'x-expected': BEARER_TOKEN_TEXT,
      'x-secret': true,
      description: 'bearer token required on every admin route',
    }),
  ),
  disable: Type.Optional(Type.Boolean()),
  max_streams: Type.Optional(
    Type.Integer({ minimum: 1, description: 'open GET /__events streams at most (503 beyond) [64]' }),
  ),
});

/**
 * `switchyard/backend` (root or backend level, Switchyard's own): limits of the backend client. At the
 * root it sets the defaults of every backend; a backend's own overrides them key by key.
 */
export const SwitchyardBackendNamespace = obj({
  max_body_bytes: Type.Optional(
    Type.Integer({ minimum: 1, description: 'largest backend body read, after decompression [10 MiB]' }),
  ),
  pool: Type.Optional(
    obj({
      connections: Type.Optional(
        Type.Integer({
          minimum: 1,
          description: 'connections per host [max_idle_connections_per_host, 128]',
        }),
      ),
      pipelining: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, description: 'requests in flight per connection [1]' }),
      ),
      name: Type.Optional(
        Type.String({ minLength: 1, description: 'backends naming the same pool share its connections' }),
      ),
    }),
  ),
  max_xml_bytes: Type.Optional(
    Type.Integer({ minimum: 1, description: 'largest xml or rss backend body decoded [1 MiB]' }),
  ),
});

const Strings = Type.Array(Type.String());

/** `qos/ratelimit/router` (endpoint level): a global limit (503) and a per-client limit (429). */
export const RateLimitRouterNamespace = obj({
  max_rate: Type.Optional(Type.Number({ minimum: 0, description: 'requests per `every` for the endpoint' })),
  capacity: Type.Optional(Type.Integer({ minimum: 0, description: 'token bucket size; default max_rate' })),
  client_max_rate: Type.Optional(Type.Number({ minimum: 0, description: 'requests per `every` per client' })),
  client_capacity: Type.Optional(Type.Integer({ minimum: 0 })),
  strategy: Type.Optional(
    Type.Union([Type.Literal('ip'), Type.Literal('header'), Type.Literal('param')], {
      description: 'how a client is identified',
    }),
  ),
  key: Type.Optional(Type.String({ description: 'the header or param name for those strategies' })),
  every: Type.Optional(Duration),
  cleanup_period: Type.Optional(Duration),
  cleanup_threshold: Type.Optional(Type.Integer({ minimum: 0 })),
  num_shards: Type.Optional(Type.Integer({ minimum: 1 })),
});

/** `qos/ratelimit/proxy` (backend level): a limit on the calls to one backend (503 beyond it). */
export const RateLimitProxyNamespace = obj({
  max_rate: Type.Number({ minimum: 0 }),
  capacity: Type.Optional(Type.Integer({ minimum: 0 })),
  every: Type.Optional(Duration),
});

/**
 * `redis` (root level, as KrakenD Enterprise's): named Redis connections that stateful plugins select by
 * `connection_name`. Pool tuning options KrakenD takes and Switchyard does not use are accepted unread.
 */
export const RedisNamespace = obj({
  connection_pools: Type.Optional(
    Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, description: 'what `connection_name` refers to' }),
          address: Type.String({ minLength: 1, description: 'host:port of the Redis server' }),
          db: Type.Optional(Type.Integer({ minimum: 0 })),
          database: Type.Optional(Type.Integer({ minimum: 0, description: 'older name of `db`' })),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          client_name: Type.Optional(Type.String({ description: 'shown by CLIENT LIST' })),
          dial_timeout: Type.Optional(Duration),
          read_timeout: Type.Optional(Duration),
          write_timeout: Type.Optional(Duration),
        },
        { additionalProperties: true },
      ),
    ),
  ),
  clusters: Type.Optional(Type.Array(Type.Unknown(), { description: 'Redis Cluster: not supported yet' })),
});

const ConnectionName = Type.String({ minLength: 1, description: 'a `redis.connection_pools[].name`' });

/** `qos/ratelimit/router/redis` (endpoint level): `qos/ratelimit/router` counted in Redis, cluster-wide. */
export const RateLimitRouterRedisNamespace = obj({
  ...RateLimitRouterNamespace.properties,
  connection_name: Type.Optional(ConnectionName),
  connection_pool: Type.Optional(Type.String({ minLength: 1, description: 'older name of connection_name' })),
});

/** `qos/ratelimit/proxy/redis` (backend level): `qos/ratelimit/proxy` counted in Redis, cluster-wide. */
export const RateLimitProxyRedisNamespace = obj({
  ...RateLimitProxyNamespace.properties,
  connection_name: Type.Optional(ConnectionName),
  connection_pool: Type.Optional(Type.String({ minLength: 1, description: 'older name of connection_name' })),
});

/** `qos/circuit-breaker` (backend level). `interval` and `timeout` are seconds, as in KrakenD. */
export const CircuitBreakerNamespace = obj({
  interval: Type.Integer({ minimum: 1, description: 'seconds over which errors are counted' }),
  timeout: Type.Integer({ minimum: 1, description: 'seconds the breaker stays open' }),
  max_errors: Type.Integer({ minimum: 1, description: 'consecutive errors that open the breaker' }),
  name: Type.Optional(Type.String()),
  log_status_change: Type.Optional(Type.Boolean()),
});

/** `qos/http-cache` (backend level): RFC 9111 caching of backend responses in memory. */
export const HttpCacheNamespace = obj({
  shared: Type.Optional(Type.Boolean()),
  max_items: Type.Optional(Type.Integer({ minimum: 1 })),
  max_size: Type.Optional(Type.Integer({ minimum: 1, description: 'bytes' })),
});

/** `security/cors` (root level). */
export const CorsNamespace = obj({
  allow_origins: Type.Optional(Strings),
  allow_methods: Type.Optional(Strings),
  allow_headers: Type.Optional(Strings),
  expose_headers: Type.Optional(Strings),
  allow_credentials: Type.Optional(Type.Boolean()),
  allow_private_network: Type.Optional(Type.Boolean()),
  max_age: Type.Optional(Duration),
  options_passthrough: Type.Optional(Type.Boolean()),
  options_success_status: Type.Optional(Type.Integer({ minimum: 200, maximum: 299 })),
  debug: Type.Optional(Type.Boolean()),
});

/** `auth/validator` (endpoint level): JWT validation against a JWK URL or a local JWK file. */
export const JwtValidatorNamespace = obj({
  alg: Type.Optional(Type.String()),
  jwk_url: Type.Optional(Type.String()),
  jwk_local_path: Type.Optional(Type.String()),
  jwk_local_ca: Type.Optional(Type.String()),
  jwk_fingerprints: Type.Optional(Strings),
  disable_jwk_security: Type.Optional(Type.Boolean()),
  cache: Type.Optional(Type.Boolean()),
  cache_duration: Type.Optional(Type.Integer({ minimum: 0, description: 'seconds' })),
  audience: Type.Optional(Strings),
  issuer: Type.Optional(Type.String()),
  roles: Type.Optional(Strings),
  roles_key: Type.Optional(Type.String()),
  roles_key_is_nested: Type.Optional(Type.Boolean()),
  scopes: Type.Optional(Strings),
  scopes_key: Type.Optional(Type.String()),
  scopes_matcher: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
  propagate_claims: Type.Optional(Type.Array(Type.Array(Type.String(), { minItems: 2, maxItems: 2 }))),
  cookie_key: Type.Optional(Type.String()),
  auth_header_name: Type.Optional(Type.String()),
  key_identify_strategy: Type.Optional(Type.String()),
  leeway: Type.Optional(Duration),
  operation_debug: Type.Optional(Type.Boolean()),
  cipher_suites: Type.Optional(Type.Array(Type.Integer())),
  secret_url: Type.Optional(Type.String()),
});

/** `telemetry/logging` (root level). */
export const LoggingNamespace = obj({
  level: Type.Optional(
    Type.Union(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'].map((l) => Type.Literal(l))),
  ),
  prefix: Type.Optional(Type.String()),
  stdout: Type.Optional(Type.Boolean()),
  syslog: Type.Optional(Type.Boolean()),
  syslog_facility: Type.Optional(Type.String()),
  format: Type.Optional(
    Type.Union([Type.Literal('default'), Type.Literal('logstash'), Type.Literal('custom')]),
  ),
  custom_format: Type.Optional(Type.String()),
});

/** `telemetry/metrics` (root level): Prometheus metrics (on the admin listener, or `listen_address`). */
export const MetricsNamespace = obj({
  collection_time: Type.Optional(Duration),
  listen_address: Type.Optional(Type.String()),
  proxy_disabled: Type.Optional(Type.Boolean()),
  router_disabled: Type.Optional(Type.Boolean()),
  backend_disabled: Type.Optional(Type.Boolean()),
  endpoint_disabled: Type.Optional(Type.Boolean()),
});

/** `validation/json-schema` (endpoint level): the value is itself the JSON Schema of the request body. */
export const JsonSchemaNamespace = Type.Union([
  Type.Object({}, { additionalProperties: true }),
  Type.Boolean(),
]);

/** `security/bot-detector` (root or endpoint level): requests from bots, by User-Agent, are refused 403. */
export const BotDetectorNamespace = obj({
  allow: Type.Optional(Type.Array(Type.String(), { description: 'User-Agents never taken for bots' })),
  deny: Type.Optional(Type.Array(Type.String(), { description: 'User-Agents always taken for bots' })),
  patterns: Type.Optional(
    Type.Array(Type.String(), { description: 'Go regular expressions matching bot User-Agents' }),
  ),
  // lru-cache allocates its index for `max` entries up front: a huge size would take the memory at start.
  cache_size: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'decisions remembered (LRU, at most 1e6); 0: none',
    }),
  ),
  empty_user_agent_is_bot: Type.Optional(Type.Boolean()),
});

/** `security/http` (root level): unrolled/secure's host check, HTTPS redirect and security headers. */
export const HttpSecureNamespace = obj({
  allowed_hosts: Type.Optional(Type.Array(Type.String())),
  allowed_hosts_are_regex: Type.Optional(Type.Boolean()),
  host_proxy_headers: Type.Optional(Type.Array(Type.String())),
  sts_seconds: Type.Optional(Type.Number()),
  sts_include_subdomains: Type.Optional(Type.Boolean()),
  force_sts_header: Type.Optional(Type.Boolean()),
  frame_deny: Type.Optional(Type.Boolean()),
  custom_frame_options_value: Type.Optional(Type.String()),
  content_type_nosniff: Type.Optional(Type.Boolean()),
  browser_xss_filter: Type.Optional(Type.Boolean()),
  content_security_policy: Type.Optional(Type.String()),
  referrer_policy: Type.Optional(Type.String()),
  ssl_redirect: Type.Optional(Type.Boolean()),
  ssl_host: Type.Optional(Type.String()),
  ssl_proxy_headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  is_development: Type.Optional(Type.Boolean()),
});

/** `validation/cel` (endpoint or backend level): CEL expressions that must all be true. */
export const CelNamespace = Type.Array(
  obj({
    check_expr: Type.Optional(Type.String({ description: 'a CEL expression that must evaluate to true' })),
    mod_expr: Type.Optional(Type.String({ description: 'read by krakend-cel, never run by it' })),
  }),
);
// The plugin namespaces name registered plugins; each plugin reads its own settings under its name, so
// any other key is the plugins' own.
const PluginName = Type.String({ minLength: 1, description: 'a registered plugin name' });
const pluginNamespace = (name: TSchema) =>
  Type.Object({ name }, { additionalProperties: true, description: "each plugin's settings under its name" });

/** `plugin/http-server` (root level): server plugins wrapping the gateway's handler, in this order. */
export const HttpServerPluginNamespace = pluginNamespace(
  Type.Union([PluginName, Type.Array(PluginName, { minItems: 1 })]),
);
/** `plugin/http-client` (backend level): the client plugin that replaces the backend's HTTP call. */
export const HttpClientPluginNamespace = pluginNamespace(PluginName);
/** `plugin/req-resp-modifier` (endpoint or backend level): request and response modifiers, in order. */
export const ModifierPluginNamespace = pluginNamespace(Type.Array(PluginName, { minItems: 1 }));

/** `modifier/lua-endpoint`, `modifier/lua-proxy`, `modifier/lua-backend`: krakend-lua's settings. */
export const LuaNamespace = obj({
  sources: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Lua files, relative to the working directory',
    }),
  ),
  md5: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'source file -> md5 (hex)' })),
  pre: Type.Optional(Type.String({ description: 'Lua run before the request goes on' })),
  post: Type.Optional(Type.String({ description: 'Lua run on the response (not at the router level)' })),
  live: Type.Optional(Type.Boolean({ description: 'read the sources again on every request' })),
  allow_open_libs: Type.Optional(
    Type.Boolean({ description: 'give scripts io, os, package/require, coroutine, load' }),
  ),
  skip_next: Type.Optional(Type.Boolean({ description: 'do not call the next stage (backend or endpoint)' })),
});

/** `modifier/martian` (backend level): one Martian modifier (often a fifo.Group), checked when routes are built. */
export const MartianNamespace = Type.Record(Type.String(), Type.Unknown(), {
  minProperties: 1,
  maxProperties: 1,
});

/** Settings an AMQP consumer and producer share (krakend-amqp's queueCfg). */
const AmqpQueue = {
  name: Type.String({ description: 'the queue name' }),
  exchange: Type.String({ description: 'the exchange, declared as a topic exchange' }),
  durable: Type.Optional(Type.Boolean()),
  delete: Type.Optional(Type.Boolean({ description: 'auto-delete the exchange and queue when unused' })),
  exclusive: Type.Optional(Type.Boolean()),
  no_wait: Type.Optional(Type.Boolean()),
  backoff_strategy: Type.Optional(Type.String({ description: 'reconnect pacing after a lost connection' })),
  max_retries: Type.Optional(Type.Integer({ description: 'reconnect attempts; 0 or less: no limit' })),
  prefetch_count: Type.Optional(Type.Integer({ minimum: 0 })),
  prefetch_size: Type.Optional(Type.Integer({ minimum: 0 })),
};

/** `backend/amqp/consumer` (backend level): each request takes one message from a RabbitMQ queue. */
export const AmqpConsumerNamespace = obj({
  ...AmqpQueue,
  routing_key: Type.Array(Type.String(), { description: 'binding keys of the queue to the exchange' }),
  auto_ack: Type.Optional(Type.Boolean()),
  no_local: Type.Optional(Type.Boolean()),
  nack_discard: Type.Optional(
    Type.Boolean({ description: 'drop an undecodable message instead of requeuing it' }),
  ),
});

/** `backend/amqp/producer` (backend level): each request publishes its body to a RabbitMQ exchange. */
export const AmqpProducerNamespace = obj({
  ...AmqpQueue,
  routing_key: Type.Optional(
    Type.String({
      description:
        'the param (first letter upper case) holding the routing key, or the key itself with static_routing_key',
    }),
  ),
  static_routing_key: Type.Optional(Type.Boolean()),
  mandatory: Type.Optional(Type.Boolean()),
  immediate: Type.Optional(Type.Boolean()),
  no_local: Type.Optional(Type.Boolean({ description: 'accepted; no effect on a producer (as in KrakenD)' })),
  exp_key: Type.Optional(Type.String({ description: 'the param holding the expiration' })),
  reply_to_key: Type.Optional(Type.String({ description: 'the param holding reply-to' })),
  msg_id_key: Type.Optional(Type.String({ description: 'the param holding the message id' })),
  priority_key: Type.Optional(Type.String({ description: 'the param holding the priority' })),
});

/** `backend/pubsub/publisher` (backend level): each request's body is sent to a topic (gocloud.dev URL). */
export const PubsubPublisherNamespace = obj({
  topic_url: Type.String({
    description:
      'appended to the backend host: nats://subject, kafka://topic, rabbit://exchange, mem://topic',
  }),
});

/** `backend/pubsub/subscriber` (backend level): each request takes one message from a subscription. */
export const PubsubSubscriberNamespace = obj({
  subscription_url: Type.String({
    description:
      'appended to the backend host: nats://subject, kafka://group?topic=T, rabbit://queue, mem://topic',
  }),
});

/** `backend/graphql` (backend level): the backend call is a GraphQL query or mutation. */
export const GraphqlNamespace = obj({
  type: Type.Union([Type.Literal('query'), Type.Literal('mutation')]),
  query: Type.Optional(Type.String()),
  query_path: Type.Optional(Type.String({ description: 'a file holding the query (read at start)' })),
  variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  operationName: Type.Optional(Type.String()),
  method: Type.Optional(Type.String({ description: 'GET or POST [POST]; any other is POST, as in KrakenD' })),
});

/** `telemetry/gelf` (root level): every log line also sent to a GELF input. */
export const GelfNamespace = obj({
  address: Type.String({ minLength: 1, description: 'host:port of the GELF input' }),
  enable_tcp: Type.Optional(Type.Boolean({ description: 'TCP (null-delimited) instead of UDP' })),
});

/** `telemetry/logstash` (root level): log lines in logstash's JSON shape (with `telemetry/logging`). */
export const LogstashNamespace = obj({
  enabled: Type.Optional(Type.Boolean()),
});

/** `auth/signer` (endpoint level): fields of the answer signed into JWTs with a key of a JWK set. */
export const SignerNamespace = obj({
  alg: Type.String({ minLength: 1, description: 'JWS algorithm, e.g. RS256, HS256' }),
  kid: Type.String({ description: 'the key of the set that signs' }),
  typ: Type.Optional(Type.String()),
  keys_to_sign: Type.Optional(Strings),
  jwk_url: Type.Optional(Type.String()),
  jwk_local_path: Type.Optional(Type.String()),
  full: Type.Optional(Type.Boolean({ description: 'JSON serialization instead of compact' })),
  disable_jwk_security: Type.Optional(Type.Boolean()),
  jwk_fingerprints: Type.Optional(Strings),
  jwk_local_ca: Type.Optional(Type.String()),
  cipher_suites: Type.Optional(Type.Array(Type.Integer())),
  secret_url: Type.Optional(Type.String()),
  cypher_key: Type.Optional(Type.String()),
  cache: Type.Optional(Type.Boolean()),
  cache_duration: Type.Optional(Type.Integer({ minimum: 0, description: 'seconds' })),
});

const loose = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Object(props, { additionalProperties: true });
/** krakend-otel's `[{ "key": …, "value": … }]`; pairs with an empty key or value are left out, as there. */
const OtelAttributes = Type.Array(loose({ key: Type.String(), value: Type.String() }));
const OtelHeaders = {
  report_headers: Type.Optional(Type.Boolean()),
  skip_headers: Type.Optional(Strings),
};
const OtelStatic = {
  metrics_static_attributes: Type.Optional(OtelAttributes),
  traces_static_attributes: Type.Optional(OtelAttributes),
};
const OtelLayer = loose({
  disable_metrics: Type.Optional(Type.Boolean()),
  disable_traces: Type.Optional(Type.Boolean()),
  ...OtelHeaders,
  ...OtelStatic,
});
const OtelGlobalLayer = loose({
  disable_metrics: Type.Optional(Type.Boolean()),
  disable_traces: Type.Optional(Type.Boolean()),
  disable_propagation: Type.Optional(Type.Boolean()),
  semantic_convention: Type.Optional(Type.String()),
  ...OtelHeaders,
  ...OtelStatic,
});
const OtelBackendStage = {
  disable_stage: Type.Optional(Type.Boolean()),
  round_trip: Type.Optional(Type.Boolean()),
  read_payload: Type.Optional(Type.Boolean()),
  detailed_connection: Type.Optional(Type.Boolean()),
  static_attributes: Type.Optional(OtelAttributes),
};
const OtelBackendLayer = loose({
  metrics: Type.Optional(loose(OtelBackendStage)),
  traces: Type.Optional(loose({ ...OtelBackendStage, ...OtelHeaders })),
});

/** `telemetry/opentelemetry` (root level): traces and metrics sent to OTLP collectors. */
export const OpenTelemetryNamespace = obj({
  service_name: Type.Optional(Type.String()),
  service_version: Type.Optional(Type.String()),
  deploy_env: Type.Optional(Type.String()),
  metric_reporting_period: Type.Optional(Type.Integer({ minimum: 1, description: 'seconds [30]' })),
  trace_sample_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  exporters: Type.Optional(
    loose({
      otlp: Type.Optional(
        Type.Array(
          loose({
            name: Type.Optional(Type.String()),
            host: Type.String({ minLength: 1 }),
            port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
            use_http: Type.Optional(Type.Boolean()),
            disable_metrics: Type.Optional(Type.Boolean()),
            disable_traces: Type.Optional(Type.Boolean()),
            custom_metric_reporting_period: Type.Optional(
              Type.Integer({ minimum: 0, description: 'seconds' }),
            ),
          }),
        ),
      ),
      prometheus: Type.Optional(Type.Array(Type.Unknown())),
    }),
  ),
  layers: Type.Optional(
    loose({
      global: Type.Optional(OtelGlobalLayer),
      proxy: Type.Optional(OtelLayer),
      backend: Type.Optional(OtelBackendLayer),
    }),
  ),
  skip_paths: Type.Optional(Strings),
});

/**
 * `telemetry/opentelemetry` of an endpoint: its `proxy` layer replaces the root's (not merged, as in
 * krakend-otel); `global` adds static attributes to the global layer's span and metrics of this endpoint.
 */
export const OpenTelemetryEndpointNamespace = obj({
  global: Type.Optional(loose(OtelStatic)),
  proxy: Type.Optional(OtelLayer),
});

/** `telemetry/opentelemetry` of a backend: its `backend` layer replaces the root's (not merged). */
export const OpenTelemetryBackendNamespace = obj({ backend: Type.Optional(OtelBackendLayer) });

export type NamespaceLevel = 'root' | 'endpoint' | 'backend';

/** Implemented namespaces, their schema and where they may appear. */
export const NAMESPACES: Record<
  string,
  {
    schema: TSchema;
    levels: readonly NamespaceLevel[];
    /** A schema for a level whose settings differ from the first level's (`schema`). */
    at?: Partial<Record<NamespaceLevel, TSchema>>;
  }
> = {
  proxy: { schema: ProxyNamespace, levels: ['endpoint', 'backend'] },
  'backend/http': { schema: BackendHttpNamespace, levels: ['backend'] },
  router: { schema: RouterNamespace, levels: ['root'] },
  'telemetry/events': { schema: EventsNamespace, levels: ['root'] },
  [ERRORS_NAMESPACE]: { schema: ErrorsNamespace, levels: ['root'] },
  admin: { schema: AdminNamespace, levels: ['root'] },
  'switchyard/backend': { schema: SwitchyardBackendNamespace, levels: ['root', 'backend'] },
  'qos/ratelimit/router': { schema: RateLimitRouterNamespace, levels: ['endpoint'] },
  'qos/ratelimit/proxy': { schema: RateLimitProxyNamespace, levels: ['backend'] },
  'qos/ratelimit/router/redis': { schema: RateLimitRouterRedisNamespace, levels: ['endpoint'] },
  'qos/ratelimit/proxy/redis': { schema: RateLimitProxyRedisNamespace, levels: ['backend'] },
  redis: { schema: RedisNamespace, levels: ['root'] },
  'qos/circuit-breaker': { schema: CircuitBreakerNamespace, levels: ['backend'] },
  'qos/http-cache': { schema: HttpCacheNamespace, levels: ['backend'] },
  'security/cors': { schema: CorsNamespace, levels: ['root'] },
  'auth/validator': { schema: JwtValidatorNamespace, levels: ['endpoint'] },
  'telemetry/logging': { schema: LoggingNamespace, levels: ['root'] },
  'telemetry/metrics': { schema: MetricsNamespace, levels: ['root'] },
  'validation/json-schema': { schema: JsonSchemaNamespace, levels: ['endpoint'] },
  'security/bot-detector': { schema: BotDetectorNamespace, levels: ['root', 'endpoint'] },
  'security/http': { schema: HttpSecureNamespace, levels: ['root'] },
  'validation/cel': { schema: CelNamespace, levels: ['endpoint', 'backend'] },
  'plugin/http-server': { schema: HttpServerPluginNamespace, levels: ['root'] },
  'plugin/http-client': { schema: HttpClientPluginNamespace, levels: ['backend'] },
  'plugin/req-resp-modifier': { schema: ModifierPluginNamespace, levels: ['endpoint', 'backend'] },
  'modifier/lua-endpoint': { schema: LuaNamespace, levels: ['endpoint'] },
  'modifier/lua-proxy': { schema: LuaNamespace, levels: ['endpoint'] },
  'modifier/lua-backend': { schema: LuaNamespace, levels: ['backend'] },
  'modifier/martian': { schema: MartianNamespace, levels: ['backend'] },
  'backend/amqp/consumer': { schema: AmqpConsumerNamespace, levels: ['backend'] },
  'backend/amqp/producer': { schema: AmqpProducerNamespace, levels: ['backend'] },
  'backend/graphql': { schema: GraphqlNamespace, levels: ['backend'] },
  'backend/pubsub/publisher': { schema: PubsubPublisherNamespace, levels: ['backend'] },
  'backend/pubsub/subscriber': { schema: PubsubSubscriberNamespace, levels: ['backend'] },
  'telemetry/gelf': { schema: GelfNamespace, levels: ['root'] },
  'telemetry/logstash': { schema: LogstashNamespace, levels: ['root'] },
  'auth/signer': { schema: SignerNamespace, levels: ['endpoint'] },
  'telemetry/opentelemetry': {
    schema: OpenTelemetryNamespace,
    levels: ['root', 'endpoint', 'backend'],
    at: { endpoint: OpenTelemetryEndpointNamespace, backend: OpenTelemetryBackendNamespace },
  },
};

export type ProxyNamespace = Static<typeof ProxyNamespace>;
export type BackendHttpNamespace = Static<typeof BackendHttpNamespace>;
export type RouterNamespace = Static<typeof RouterNamespace>;
export type EventsNamespace = Static<typeof EventsNamespace>;
export type ErrorsNamespace = Static<typeof ErrorsNamespace>;
export type AdminNamespace = Static<typeof AdminNamespace>;
export type SwitchyardBackendNamespace = Static<typeof SwitchyardBackendNamespace>;
export type RateLimitRouterNamespace = Static<typeof RateLimitRouterNamespace>;
export type RateLimitProxyNamespace = Static<typeof RateLimitProxyNamespace>;
export type RedisNamespace = Static<typeof RedisNamespace>;
export type RateLimitRouterRedisNamespace = Static<typeof RateLimitRouterRedisNamespace>;
export type RateLimitProxyRedisNamespace = Static<typeof RateLimitProxyRedisNamespace>;
export type CircuitBreakerNamespace = Static<typeof CircuitBreakerNamespace>;
export type HttpCacheNamespace = Static<typeof HttpCacheNamespace>;
export type CorsNamespace = Static<typeof CorsNamespace>;
export type JwtValidatorNamespace = Static<typeof JwtValidatorNamespace>;
export type LoggingNamespace = Static<typeof LoggingNamespace>;
export type MetricsNamespace = Static<typeof MetricsNamespace>;
export type JsonSchemaNamespace = Static<typeof JsonSchemaNamespace>;
export type BotDetectorNamespace = Static<typeof BotDetectorNamespace>;
export type HttpSecureNamespace = Static<typeof HttpSecureNamespace>;
export type CelNamespace = Static<typeof CelNamespace>;
// Written out: the plugins' own keys (any name) would widen `name` in the derived type.
export type HttpServerPluginNamespace = { name: string | string[] } & Record<string, unknown>;
export type HttpClientPluginNamespace = { name: string } & Record<string, unknown>;
export type ModifierPluginNamespace = { name: string[] } & Record<string, unknown>;
export type LuaNamespace = Static<typeof LuaNamespace>;
export type AmqpConsumerNamespace = Static<typeof AmqpConsumerNamespace>;
export type AmqpProducerNamespace = Static<typeof AmqpProducerNamespace>;
export type PubsubPublisherNamespace = Static<typeof PubsubPublisherNamespace>;
export type PubsubSubscriberNamespace = Static<typeof PubsubSubscriberNamespace>;
export type GraphqlNamespace = Static<typeof GraphqlNamespace>;
export type GelfNamespace = Static<typeof GelfNamespace>;
export type LogstashNamespace = Static<typeof LogstashNamespace>;
export type SignerNamespace = Static<typeof SignerNamespace>;
export type OpenTelemetryNamespace = Static<typeof OpenTelemetryNamespace>;
export type OpenTelemetryEndpointNamespace = Static<typeof OpenTelemetryEndpointNamespace>;
export type OpenTelemetryBackendNamespace = Static<typeof OpenTelemetryBackendNamespace>;
