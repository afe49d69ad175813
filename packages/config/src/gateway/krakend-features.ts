// Parts of the KrakenD v3 file that Switchyard recognises but does not implement. They are reported as
// warnings ("not implemented by Switchyard; ignored"), never as errors, so KrakenD files still load, and
// never silently. Anything neither here nor in the schema is a typo and an error.

/** KrakenD keys that are valid at each level but have no effect in Switchyard. */
export const UNIMPLEMENTED_KEYS = {
  root: [
    'plugin',
    'tls',
    'client_tls',
    'async_agent',
    'dns_cache_ttl',
    'disable_keep_alives',
    'response_header_timeout',
    'expect_continue_timeout',
    'dialer_timeout',
    'dialer_fallback_delay',
    'dialer_keep_alive',
    'allow_insecure_connections',
    'use_h2c',
    'max_shutdown_wait_time',
  ],
  endpoint: [],
  backend: [],
} as const satisfies Record<'root' | 'endpoint' | 'backend', readonly string[]>;

/**
 * Namespaces with a schema (so their settings are still checked) that the gateway does not run yet:
 * warned as not implemented. A namespace leaves this list when its plugin is implemented and tested.
 */
export const PENDING_NAMESPACES: readonly string[] = [];

/** KrakenD's `extra_config` namespaces (CE and EE) that Switchyard does not implement. */
export const KRAKEND_NAMESPACES: readonly string[] = [
  'auth/api-keys',
  'auth/basic',
  'auth/client-credentials',
  'auth/gcp',
  'auth/ntlm',
  'auth/revoker',
  'auth/signer',
  'backend/amqp/consumer',
  'backend/amqp/producer',
  'backend/conditional',
  'backend/graphql',
  'backend/grpc',
  'backend/http/client',
  'backend/lambda',
  'backend/pubsub/publisher',
  'backend/pubsub/subscriber',
  'backend/soap',
  'backend/static-filesystem',
  'documentation/openapi',
  'github_com/devopsfaith/krakend/transport/http/client/executor',
  'github_com/devopsfaith/krakend/transport/http/server/handler',
  'governance/processors',
  'governance/quota',
  'grpc',
  'modifier/body-generator',
  'modifier/jmespath',
  'modifier/lua-backend',
  'modifier/lua-endpoint',
  'modifier/lua-proxy',
  'modifier/martian',
  'modifier/request-body-generator',
  'modifier/response-body',
  'modifier/response-body-generator',
  'plugin/http-client',
  'plugin/http-server',
  'plugin/req-resp-modifier',
  'qos/ratelimit/service',
  'qos/ratelimit/tiered',
  'security/bot-detector',
  'security/http',
  'security/policies',
  'server/static-filesystem',
  'server/virtualhost',
  'telemetry/gelf',
  'telemetry/influx',
  'telemetry/instana',
  'telemetry/logstash',
  'telemetry/moesif',
  'telemetry/newrelic',
  'telemetry/opencensus',
  'telemetry/opentelemetry',
  'validation/cel',
  'validation/json-schema',
  'validation/response-json-schema',
  'websocket',
  'workflow',
];
