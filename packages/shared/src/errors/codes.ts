/**
 * Every error code Switchyard raises, in one table: its HTTP status where one applies and whether
 * retrying the same operation can succeed. docs/errors.md documents each; a test keeps the two in step.
 */
export const errorCodes = {
  // shared
  SWY_INVALID_DURATION: { status: undefined, retryable: false },
  SWY_INVALID_SIZE: { status: undefined, retryable: false },
  SWY_INVALID_EVENT: { status: 400, retryable: false },
  SWY_INVALID_ARGUMENT: { status: undefined, retryable: false },
  SWY_INTERNAL: { status: 500, retryable: false },
  SWY_UNAUTHORIZED: { status: 401, retryable: false },
  SWY_LISTEN_FAILED: { status: undefined, retryable: false },
  // config
  SWY_CONFIG_INVALID: { status: undefined, retryable: false },
  SWY_CONFIG_READ: { status: undefined, retryable: false },
  SWY_CONFIG_PARSE: { status: undefined, retryable: false },
  SWY_CONFIG_TEMPLATE: { status: undefined, retryable: false },
  SWY_CONFIG_TOO_DEEP: { status: undefined, retryable: false },
  SWY_ENV_INVALID: { status: undefined, retryable: false },
  SWY_ENV_MISSING: { status: undefined, retryable: false },
  // gateway
  SWY_ROUTE_NOT_FOUND: { status: 404, retryable: false },
  SWY_METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  SWY_PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  SWY_HEADERS_TOO_LARGE: { status: 431, retryable: false },
  SWY_BACKEND_REFUSED: { status: 502, retryable: true },
  SWY_BACKEND_RESET: { status: 502, retryable: true },
  SWY_BACKEND_TIMEOUT: { status: 504, retryable: true },
  SWY_BACKEND_POOL_TIMEOUT: { status: 504, retryable: true },
  SWY_BACKEND_BAD_RESPONSE: { status: 502, retryable: false },
  SWY_BACKEND_BODY_TOO_LARGE: { status: 502, retryable: false },
  SWY_BACKEND_REQUEST_INVALID: { status: 400, retryable: false },
  SWY_BACKEND_TOO_MANY_REDIRECTS: { status: 502, retryable: false },
  SWY_BACKEND_STATUS: { status: 502, retryable: false },
  SWY_BREAKER_OPEN: { status: 503, retryable: true },
  SWY_BACKEND_RATE_LIMITED: { status: 503, retryable: true },
  SWY_SCHEMA_MISMATCH: { status: 400, retryable: false },
  SWY_CEL_REJECTED: { status: 500, retryable: false },
  SWY_CEL_STOPPED: { status: 500, retryable: false },
  SWY_BROKER_UNAVAILABLE: { status: 503, retryable: true },
  SWY_BROKER_REJECTED: { status: 502, retryable: false },
  SWY_RATELIMIT_STORE_UNAVAILABLE: { status: undefined, retryable: true },
  // plugins
  SWY_PLUGIN_LOAD: { status: undefined, retryable: false },
  SWY_PLUGIN_FAILED: { status: 500, retryable: false },
  SWY_RELOAD_ABORTED: { status: undefined, retryable: true },
  SWY_LUA_ERROR: { status: 500, retryable: false },
  SWY_LUA_BUDGET: { status: 500, retryable: false },
  SWY_TELEMETRY_UNAVAILABLE: { status: undefined, retryable: false },
  // event proxy
  SWY_SINK_UNAVAILABLE: { status: 503, retryable: true },
  SWY_SINK_TIMEOUT: { status: 504, retryable: true },
  SWY_SINK_REJECTED: { status: undefined, retryable: false },
  SWY_QUEUE_FULL: { status: 503, retryable: true },
  SWY_SHUTTING_DOWN: { status: 503, retryable: true },
  SWY_SPOOL_IO: { status: 503, retryable: true },
  SWY_PAYLOAD_INVALID: { status: 400, retryable: false },
  SWY_SOURCE_UNAVAILABLE: { status: 503, retryable: true },
  SWY_SOURCE_NOT_EVENT_STREAM: { status: undefined, retryable: false },
  SWY_SPOOL_LOCKED: { status: undefined, retryable: false },
  SWY_INGEST_UNAUTHORIZED: { status: 401, retryable: false },
  SWY_INGEST_TOO_MANY_ITEMS: { status: 413, retryable: false },
  SWY_INGEST_BUSY: { status: 503, retryable: true },
  SWY_INGEST_OFF: { status: 404, retryable: false },
  SWY_LISTEN_INSECURE: { status: undefined, retryable: false },
} as const satisfies Record<string, { status: number | undefined; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCodes;
