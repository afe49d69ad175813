import type { NamespaceLevel } from './namespaces.js';

// What Switchyard does with each KrakenD CE configuration key and `extra_config` namespace. This one table
// feeds the loader (which keys and namespaces are "not implemented", and whether an endpoint using a missing
// namespace can still be served) and docs/krakend-compatibility.md (a test renders it and compares), so the
// behaviour and its documentation cannot drift apart.

/** `same`: as KrakenD; `partial`: the difference is in `note`; `not-yet`: accepted with a warning, no effect. */
export type Support = 'same' | 'partial' | 'not-yet';

export interface KeySupport {
  support: Support;
  /** How it differs (partial) or what happens instead (not-yet). */
  note?: string;
}

export interface NamespaceSupport extends KeySupport {
  levels: readonly NamespaceLevel[];
  /** `ce`: KrakenD Community Edition; `ee`: Enterprise only; `switchyard`: ours. */
  edition: 'ce' | 'ee' | 'switchyard';
  /**
   * For a namespace Switchyard lacks, on an endpoint or backend: `ignored` when the endpoint still answers
   * as KrakenD would without it (telemetry, documentation), `unserved` when serving without it would answer
   * what the file does not mean (authentication, validation, request or response rewriting, another kind of
   * backend). An unserved endpoint answers 500, as lura's router answers an endpoint it could not build.
   */
  without?: 'ignored' | 'unserved';
}

const same: KeySupport = { support: 'same' };
const notYet = (note?: string): KeySupport => ({ support: 'not-yet', ...(note && { note }) });
const partial = (note: string): KeySupport => ({ support: 'partial', note });

/** Every key lura's config decoder reads at the root, on an endpoint and on a backend. */
export const KRAKEND_KEYS: Record<'root' | 'endpoint' | 'backend', Record<string, KeySupport>> = {
  root: {
    $schema: same,
    version: partial('3 only (also written "3"); KrakenD 2.x reads the same version'),
    name: same,
    port: partial('0 means an ephemeral port (KrakenD: 8080)'),
    listen_ip: same,
    host: same,
    timeout: partial('0 means the default 2s, as in KrakenD; a number is nanoseconds'),
    cache_ttl: same,
    output_encoding: same,
    endpoints: same,
    extra_config: same,
    echo_endpoint: same,
    debug_endpoint: same,
    disable_rest: same,
    read_timeout: same,
    read_header_timeout: same,
    idle_timeout: same,
    write_timeout: partial('checked, without effect: responses are not cut at a write deadline'),
    max_header_bytes: same,
    max_idle_connections: partial('checked, without effect: connections are limited per origin only'),
    max_idle_connections_per_host: partial('the size of each origin\u2019s connection pool'),
    idle_connection_timeout: same,
    sequential_start: partial('checked, without effect: there are no async agents to start'),
    plugin: partial(
      'ES modules (.mjs/.js whose name contains pattern) with a typed API instead of Go plugins (docs/plugins.md); loaded at start, not on reload',
    ),
    tls: notYet('serve TLS in front of the gateway'),
    client_tls: notYet(),
    async_agent: notYet('async agents are not run'),
    dns_cache_ttl: notYet(),
    disable_keep_alives: notYet(),
    disable_compression: same,
    response_header_timeout: notYet(),
    expect_continue_timeout: notYet(),
    dialer_timeout: notYet(),
    dialer_fallback_delay: notYet(),
    dialer_keep_alive: notYet(),
    allow_insecure_connections: notYet(),
    use_h2c: notYet(),
    max_shutdown_wait_time: notYet('in-flight requests get 5s on stop'),
  },
  endpoint: {
    endpoint: partial('a path without a leading "/" gets one, as lura cleans it (a warning)'),
    method: partial('any case; HEAD, OPTIONS, CONNECT and TRACE are served too (lura ignores them)'),
    backend: same,
    concurrent_calls: same,
    timeout: same,
    cache_ttl: same,
    input_headers: same,
    input_query_strings: same,
    output_encoding: partial('an unknown name falls back to json, as lura does (a warning)'),
    extra_config: same,
  },
  backend: {
    host: partial('a backend without a host (here or at the root) starts; its endpoint answers 500'),
    url_pattern: same,
    method: same,
    encoding: partial('an unknown name decodes as json, as lura does (a warning)'),
    sd: partial('static only; "dns" leaves the endpoint unserved (500)'),
    sd_scheme: partial('checked, without effect: hosts carry their scheme'),
    disable_host_sanitize: same,
    allow: same,
    deny: same,
    mapping: same,
    group: same,
    target: same,
    is_collection: same,
    input_headers: same,
    input_query_strings: same,
    extra_config: same,
  },
};

const ns = (
  levels: readonly NamespaceLevel[],
  edition: NamespaceSupport['edition'],
  support: KeySupport,
  without?: NamespaceSupport['without'],
): NamespaceSupport => ({ levels, edition, ...support, ...(without && { without }) });
const E: readonly NamespaceLevel[] = ['endpoint'];
const B: readonly NamespaceLevel[] = ['backend'];
const R: readonly NamespaceLevel[] = ['root'];
const EB: readonly NamespaceLevel[] = ['endpoint', 'backend'];

/** What every Lua namespace does differently from krakend-lua (gopher-lua, Lua 5.1). */
const LUA_NOTE =
  'Lua 5.4 (wasmoon) on a worker thread, each phase stopped after 250ms (500ms inside a C function such as a backtracking pattern) and a 32 MiB heap; without allow_open_libs string, table, math and utf8 are still there (KrakenD: no library); with it io and os see an in-memory file system only; request:method, path and url are read-only or absent; headers a script sets reach the backend only when input_headers forwards them; response headers a script sets are written as Go writes them (CR/LF as spaces), except a name that is not a token, a value with another control or a non-ASCII character, and Content-Length, Transfer-Encoding and Connection (the gateway frames the body), which are left out (KrakenD: 200 with them); http_response is absent';

/**
 * Every KrakenD `extra_config` namespace (CE, then the Enterprise ones a CE user may meet in shared files)
 * and Switchyard's own. Those with support `same`/`partial` have a schema in NAMESPACES.
 */
export const KRAKEND_NAMESPACES_SUPPORT: Record<string, NamespaceSupport> = {
  // Implemented.
  proxy: ns(EB, 'ce', same),
  'backend/http': ns(B, 'ce', same),
  router: ns(R, 'ce', partial('the gin engine options without an effect in Node are accepted and ignored')),
  'qos/ratelimit/router': ns(E, 'ce', same),
  'qos/ratelimit/proxy': ns(B, 'ce', same),
  'qos/circuit-breaker': ns(B, 'ce', same),
  'qos/http-cache': ns(B, 'ce', partial('in memory, bounded by max_items and max_size')),
  'security/cors': ns(R, 'ce', same),
  'auth/validator': ns(
    E,
    'ce',
    partial('JWK URL or local JWK set; without a key source every token is refused (401)'),
  ),
  'telemetry/logging': ns(R, 'ce', partial('pino JSON lines; syslog is not written')),
  'telemetry/metrics': ns(R, 'ce', partial('Prometheus text on the admin listener')),
  'telemetry/events': ns(R, 'switchyard', same),
  'telemetry/opentelemetry': ns(
    ['root', 'endpoint', 'backend'],
    'ce',
    partial(
      "krakend-otel's layers, span and metric names over OTLP HTTP (JSON) or gRPC; the global layer wraps each endpoint (nothing for a request answered before routing, e.g. 404); the round trip span includes decoding the answer, and read_payload, detailed_connection and the size metrics add nothing; exporters.prometheus is warned and ignored (telemetry/metrics serves Prometheus on the admin listener); report_headers writes credentials as [REDACTED]; each export, retries included, gives up after 2 s (so a stopping gateway never waits on a collector that is down)",
    ),
  ),
  'auth/signer': ns(
    E,
    'ce',
    partial(
      'jwk_fingerprints, jwk_local_ca, cipher_suites, secret_url are warned and ignored; a key set that could not be fetched is asked again',
    ),
  ),
  'telemetry/gelf': ns(
    R,
    'ce',
    partial(
      'every line, also with logstash; level is the line\u2019s syslog severity (KrakenD: always 6); one connection per TCP message; past 64 lines in flight (an input slow or holding its connections) lines are dropped from GELF only',
    ),
  ),
  'telemetry/logstash': ns(
    R,
    'ce',
    partial('a line\u2019s own field named as a logstash key is written log_<key>; milliseconds, padded'),
  ),
  admin: ns(R, 'switchyard', same),
  'switchyard/backend': ns(['root', 'backend'], 'switchyard', same),
  'switchyard/errors': ns(R, 'switchyard', same),
  // KrakenD CE namespaces Switchyard lacks.
  'auth/client-credentials': ns(B, 'ce', notYet(), 'unserved'),
  'auth/revoker': ns(R, 'ce', notYet('revoked tokens are not refused')),
  'async/amqp': ns(R, 'ce', notYet()),
  'backend/amqp/consumer': ns(
    B,
    'ce',
    partial(
      'consumed with acknowledgements, so the gateway holds at most prefetch_count messages (16 when unset); auto_ack acknowledges a message as a request takes it; a message over `switchyard/backend` max_body_bytes (a Switchyard limit) is nacked without requeue even without nack_discard (with auto_ack it was already acknowledged: gone, not dead-lettered); prefetch_size is not sent (RabbitMQ refuses it); reconnects are paced 100 ms doubling to 10 s and never given up (backoff_strategy, max_retries accepted)',
    ),
  ),
  'backend/amqp/producer': ns(
    B,
    'ce',
    partial(
      'published on a confirm channel: answered once the broker took the message, a refused one fails the request (SWY_BROKER_REJECTED); immediate is not sent (RabbitMQ refuses it); reconnects as the consumer',
    ),
  ),
  'backend/graphql': ns(
    B,
    'ce',
    partial(
      'the query is parsed at start: one that cannot be parsed leaves its endpoint unserved (500); a GET call appends the GraphQL parameters after the forwarded query string instead of re-sorting it',
    ),
  ),
  'backend/http/client': ns(B, 'ce', notYet()),
  'backend/lambda': ns(B, 'ce', notYet(), 'unserved'),
  'backend/pubsub/publisher': ns(
    B,
    'ce',
    partial(
      'nats:// (NATS_SERVER_URL; metadata as NATS headers, answered once the server has the message), kafka:// (KAFKA_BROKERS, ?key_name=; metadata as record headers; answered once acknowledged by every in-sync replica, idempotent), rabbit:// (RABBIT_SERVER_URL, ?key_name=; mandatory on a confirm channel, one message at a time per topic as gocloud; a returned one fails the request) and mem://; gcppubsub, awssns and azuresb leave the endpoint unserved (500), as does a query parameter gocloud does not know',
    ),
  ),
  'backend/pubsub/subscriber': ns(
    B,
    'ce',
    partial(
      'nats:// (NATS_SERVER_URL, ?queue= group; core NATS, at most once, 1024 messages held, oldest dropped), kafka://group?topic= (KAFKA_BROKERS, offset=oldest|newest; kafkajs consumer group; the offset is committed once a request took the record rather than after decoding, and one record is held at a time), rabbit://queue (RABBIT_SERVER_URL, ?prefetch_count=, 16 when unset where gocloud sets no limit; acked once decoded, requeued when not; one over `max_body_bytes` is nacked without requeue, so a dead-letter exchange gets it) and mem://; gcppubsub, awssqs and azuresb leave the endpoint unserved (500), as does a query parameter gocloud does not know',
    ),
  ),
  'modifier/lua-backend': ns(B, 'ce', partial(LUA_NOTE)),
  'modifier/lua-endpoint': ns(E, 'ce', partial(`${LUA_NOTE}; endpoint level only (not the service level)`)),
  'modifier/lua-proxy': ns(E, 'ce', partial(LUA_NOTE)),
  'modifier/martian': ns(
    B,
    'ce',
    partial(
      'header.Modifier/Append/Blacklist/Copy, querystring.Modifier, body.Modifier, cookie.Modifier, url.Modifier (path, query), status.Modifier, fifo.Group, header/querystring/url.Filter, header.RegexFilter; other modifiers, and a scheme or host change, leave the endpoint unserved (KrakenD: the backend runs without martian); on a no-op endpoint only the request modifiers apply (a warning says the response ones are ignored), as lua-proxy and lua-backend are ignored there with a warning',
    ),
  ),
  'plugin/http-client': ns(
    B,
    'ce',
    partial(
      'ES module plugins (docs/plugins.md): a fetch-style executor; a name no module registered leaves the endpoint unserved (500) where KrakenD calls the backend itself',
    ),
  ),
  'plugin/http-server': ns(
    R,
    'ce',
    partial(
      'ES module plugins (docs/plugins.md) wrapping the Node request handler; unknown names are skipped with a warning, as KrakenD does',
    ),
  ),
  'plugin/req-resp-modifier': ns(
    EB,
    'ce',
    partial(
      'ES module plugins (docs/plugins.md); requests expose params, headers, query and body (not the backend URL), responses their data and completeness (not headers or status); a name no module registered leaves the endpoint unserved (500) where KrakenD skips it',
    ),
  ),
  'security/bot-detector': ns(
    [...R, ...E],
    'ce',
    partial(
      'as krakend-botdetector (403, empty body); patterns are Go regular expressions run by re2js; a pattern that does not compile is a warning and the root or endpoint serves without the detector, as KrakenD; cache_size at most 1e6, and the cache holds at most cache_size × 256 characters of agents (long agents take the room of several)',
    ),
  ),
  'security/http': ns(
    R,
    'ce',
    partial(
      'as unrolled/secure with krakend-httpsecure\u2019s keys; a setting of the wrong type drops the namespace with a warning (KrakenD drops that one key); TLS is known from ssl_proxy_headers (the gateway serves plain HTTP); CR/LF in a header value become spaces as Go writes them, other control or non-ASCII characters are refused at load',
    ),
  ),
  'telemetry/influx': ns(R, 'ce', notYet()),
  'telemetry/opencensus': ns([...R, ...EB], 'ce', notYet(), 'ignored'),
  'validation/cel': ns(
    EB,
    'ce',
    partial(
      'check_expr with krakend-cel\u2019s variables; req_headers and req_querystring hold every header and query parameter (not only input_headers/input_query_strings), resp_metadata_headers is empty and resp_metadata_status 200; an expression that does not parse or type-check leaves the endpoint unserved (KrakenD skips it); backend-level req_path/req_method are the backend request\u2019s as lura gives them (url_pattern filled, its values percent-encoded as sent; the backend\u2019s method); evaluation runs on a worker thread with a budget of 200ms or the request\u2019s time left, at most 1000 requests waiting (SWY_CEL_STOPPED past it)',
    ),
  ),
  'validation/json-schema': ns(
    E,
    'ce',
    partial(
      'ajv (draft-06/07, 2019-09, 2020-12; not draft-04) with pattern/patternProperties as Go regular expressions (re2js, linear time): violations worded as ajv words them; a body nested deeper than the stack is a 400; a schema that cannot be compiled leaves the endpoint unserved (KrakenD serves it unvalidated); bodies over 512 bytes are validated on a worker thread with a budget of 200ms + 100ms per MiB (or the request\u2019s time left) and a 256 MB heap: past either, 400 SWY_SCHEMA_STOPPED (KrakenD validates without bound, e.g. uniqueItems over objects in quadratic time); at most 1000 bodies waiting (503 SWY_SCHEMA_BUSY past it)',
    ),
  ),
  // Enterprise only.
  'auth/api-keys': ns([...R, ...E], 'ee', notYet(), 'unserved'),
  'auth/basic': ns([...R, ...E], 'ee', notYet(), 'unserved'),
  'auth/gcp': ns(B, 'ee', notYet(), 'unserved'),
  'auth/ntlm': ns(B, 'ee', notYet(), 'unserved'),
  'backend/conditional': ns(B, 'ee', notYet(), 'unserved'),
  'backend/grpc': ns(B, 'ee', notYet(), 'unserved'),
  'backend/soap': ns(B, 'ee', notYet(), 'unserved'),
  'backend/static-filesystem': ns(B, 'ee', notYet(), 'unserved'),
  'documentation/openapi': ns(E, 'ee', notYet(), 'ignored'),
  'governance/processors': ns(R, 'ee', notYet()),
  'governance/quota': ns([...R, ...E], 'ee', notYet(), 'unserved'),
  grpc: ns(R, 'ee', notYet()),
  'modifier/body-generator': ns(EB, 'ee', notYet(), 'unserved'),
  'modifier/jmespath': ns(EB, 'ee', notYet(), 'unserved'),
  'modifier/request-body-generator': ns(EB, 'ee', notYet(), 'unserved'),
  'modifier/response-body': ns(EB, 'ee', notYet(), 'unserved'),
  'modifier/response-body-generator': ns(EB, 'ee', notYet(), 'unserved'),
  'qos/ratelimit/proxy/redis': ns(
    B,
    'ee',
    partial('counters under switchyard:ratelimit:; local counters while Redis does not answer'),
  ),
  'qos/ratelimit/router/redis': ns(
    E,
    'ee',
    partial('counters under switchyard:ratelimit:; local counters while Redis does not answer'),
  ),
  'qos/ratelimit/service': ns(R, 'ee', notYet()),
  'qos/ratelimit/tiered': ns(E, 'ee', notYet(), 'unserved'),
  redis: ns(R, 'ee', partial('connection_pools; clusters not yet')),
  'security/policies': ns(EB, 'ee', notYet(), 'unserved'),
  'server/static-filesystem': ns(R, 'ee', notYet()),
  'server/virtualhost': ns(R, 'ee', notYet()),
  'telemetry/instana': ns(R, 'ee', notYet()),
  'telemetry/moesif': ns([...R, ...E], 'ee', notYet(), 'ignored'),
  'telemetry/newrelic': ns(R, 'ee', notYet()),
  'validation/response-json-schema': ns(EB, 'ee', notYet(), 'unserved'),
  websocket: ns(E, 'ee', notYet(), 'unserved'),
  workflow: ns(B, 'ee', notYet(), 'unserved'),
};

/**
 * KrakenD's older namespace names, which it still reads under the new ones (krakend-ce's aliases): a file
 * may use either. The loader reads them as the new name.
 */
export const NAMESPACE_ALIASES: Record<string, string> = {
  'github_com/devopsfaith/krakend/transport/http/server/handler': 'plugin/http-server',
  'github.com/devopsfaith/krakend/transport/http/client/executor': 'plugin/http-client',
  'github.com/devopsfaith/krakend/proxy/plugin': 'plugin/req-resp-modifier',
  'github.com/devopsfaith/krakend/proxy': 'proxy',
  'github_com/luraproject/lura/router/gin': 'router',
  'github.com/devopsfaith/krakend-httpcache': 'qos/http-cache',
  'github.com/devopsfaith/krakend-circuitbreaker/gobreaker': 'qos/circuit-breaker',
  'github.com/devopsfaith/krakend-oauth2-clientcredentials': 'auth/client-credentials',
  'github.com/devopsfaith/krakend-jose/validator': 'auth/validator',
  'github.com/devopsfaith/krakend-jose/signer': 'auth/signer',
  'github_com/devopsfaith/bloomfilter': 'auth/revoker',
  'github_com/devopsfaith/krakend-botdetector': 'security/bot-detector',
  'github_com/devopsfaith/krakend-httpsecure': 'security/http',
  'github_com/devopsfaith/krakend-cors': 'security/cors',
  'github.com/devopsfaith/krakend-cel': 'validation/cel',
  'github.com/devopsfaith/krakend-jsonschema': 'validation/json-schema',
  'github.com/devopsfaith/krakend-amqp/agent': 'async/amqp',
  'github.com/devopsfaith/krakend-amqp/consume': 'backend/amqp/consumer',
  'github.com/devopsfaith/krakend-amqp/produce': 'backend/amqp/producer',
  'github.com/devopsfaith/krakend-lambda': 'backend/lambda',
  'github.com/devopsfaith/krakend-pubsub/publisher': 'backend/pubsub/publisher',
  'github.com/devopsfaith/krakend-pubsub/subscriber': 'backend/pubsub/subscriber',
  'github.com/devopsfaith/krakend/transport/http/client/graphql': 'backend/graphql',
  'github.com/devopsfaith/krakend/http': 'backend/http',
  'github_com/devopsfaith/krakend-gelf': 'telemetry/gelf',
  'github_com/devopsfaith/krakend-gologging': 'telemetry/logging',
  'github_com/devopsfaith/krakend-logstash': 'telemetry/logstash',
  'github_com/devopsfaith/krakend-metrics': 'telemetry/metrics',
  'github_com/letgoapp/krakend-influx': 'telemetry/influx',
  'github_com/devopsfaith/krakend-opencensus': 'telemetry/opencensus',
  'github.com/devopsfaith/krakend-lua/router': 'modifier/lua-endpoint',
  'github.com/devopsfaith/krakend-lua/proxy': 'modifier/lua-proxy',
  'github.com/devopsfaith/krakend-lua/proxy/backend': 'modifier/lua-backend',
  'github.com/devopsfaith/krakend-martian': 'modifier/martian',
};

/** Keys of KrakenD's version 2 files that version 3 renamed: the old name has no effect in either. */
export const RENAMED_IN_V3: Record<string, string> = {
  headers_to_pass: 'input_headers',
  querystring_params: 'input_query_strings',
  whitelist: 'allow',
  blacklist: 'deny',
};

const notImplemented = (level: keyof typeof KRAKEND_KEYS) =>
  Object.entries(KRAKEND_KEYS[level])
    .filter(([, s]) => s.support === 'not-yet')
    .map(([k]) => k);

/** KrakenD keys that are valid at each level but have no effect in Switchyard (warned, never refused). */
export const UNIMPLEMENTED_KEYS = {
  root: notImplemented('root'),
  endpoint: notImplemented('endpoint'),
  backend: notImplemented('backend'),
} as const satisfies Record<'root' | 'endpoint' | 'backend', readonly string[]>;

/** KrakenD's `extra_config` namespaces (CE and EE) that Switchyard does not implement. */
export const KRAKEND_NAMESPACES: readonly string[] = Object.entries(KRAKEND_NAMESPACES_SUPPORT)
  .filter(([, s]) => s.support === 'not-yet')
  .map(([n]) => n);
