import { BEARER_TOKEN_TEXT, formatDuration } from '@switchyard/shared';
import { choicesOf, oneOfText } from '../diagnostics/problems.js';
import { schemaAt } from '../diagnostics/schema-at.js';
import { EventProxySchema, type TargetType } from './schema.js';

/** How an environment variable's text becomes a settings value. */
export type EnvKind =
  | 'string'
  | 'secret'
  | 'url'
  | 'enum'
  | 'method'
  | 'int'
  | 'bool'
  | 'duration'
  | 'size'
  | 'brokers'
  | 'event-types'
  | 'headers'
  | 'acks'
  | 'fsync';

export interface EnvVar {
  name: string;
  /** Where the value goes in EventProxySettings (JSON pointer). */
  pointer: string;
  kind: EnvKind;
  /** Only read when TARGET_TYPE is this target; the group is then required as a whole. */
  target?: TargetType;
  description: string;
  /** What the variable accepts, in words (used in error messages and docs/event-proxy.md). */
  expect: string;
  /** The default in the variable's own notation (from the schema), if there is one. */
  default?: string;
}

type Row = Omit<EnvVar, 'expect'> & { expect?: string };

const DURATION_TEXT = 'a duration such as 5s or 500ms, or a number of seconds';
const SIZE_TEXT = 'a size such as 512KiB or 100MB, or a number of bytes';
const KIND_TEXT: Partial<Record<EnvKind, string>> = {
  string: 'a non-empty string',
  secret: 'a non-empty string',
  url: 'an http:// or https:// URL',
  bool: 'true or false',
  duration: DURATION_TEXT,
  size: SIZE_TEXT,
  brokers: 'a comma-separated host:port list',
  headers: 'Name=value pairs separated by ";" (or a JSON object)',
  acks: 'all, -1, 0 or 1',
  fsync: 'batch or never (true = batch, false = never)',
};

// The one table from environment variables to settings: parsing, validation messages and the docs all
// read it. Names and defaults follow DESIGN.md (the Kong Native Event Proxy's, plus Switchyard's).
const ROWS: Row[] = [
  { name: 'TARGET_TYPE', pointer: '/target/type', kind: 'enum', description: 'where events go' },
  {
    name: 'EVENT_FILTER_TYPES',
    pointer: '/filter/types',
    kind: 'event-types',
    description: 'event types to forward; empty forwards all',
  },
  { name: 'LOG_LEVEL', pointer: '/log_level', kind: 'enum', description: 'log level' },
  {
    name: 'EVENT_PROXY_LISTEN',
    pointer: '/listen',
    kind: 'string',
    description: "the proxy's HTTP listener: POST /events, POST /kong/http-log, /healthz, /readyz, /metrics",
    expect: 'host:port, e.g. 127.0.0.1:8095',
  },
  {
    name: 'EVENT_PROXY_INGEST',
    pointer: '/ingest/enabled',
    kind: 'bool',
    description:
      'serve POST /events and POST /kong/http-log; on for `switchyard events`, off under `switchyard run`',
    default: 'on',
  },
  {
    name: 'EVENT_PROXY_TOKEN',
    pointer: '/ingest/token',
    kind: 'secret',
    expect: BEARER_TOKEN_TEXT,
    description: 'bearer token POST /events and /kong/http-log require (Authorization: Bearer …)',
  },
  {
    name: 'EVENT_PROXY_ALLOW_INSECURE',
    pointer: '/ingest/allow_insecure',
    kind: 'bool',
    description: 'allow ingest on a non-loopback EVENT_PROXY_LISTEN without EVENT_PROXY_TOKEN',
  },
  { name: 'KONG_ADMIN_URL', pointer: '/kong/admin_url', kind: 'url', description: "a Kong node's Admin API" },
  {
    name: 'KONG_ADMIN_TIMEOUT',
    pointer: '/kong/admin_timeout_ms',
    kind: 'duration',
    description: 'Kong Admin API request timeout',
  },
  {
    name: 'KONG_POLL_INTERVAL',
    pointer: '/kong/poll_interval_ms',
    kind: 'duration',
    description: 'how often Kong /status and /plugins are polled',
  },
  {
    name: 'GATEWAY_ADMIN_URL',
    pointer: '/gateway/admin_url',
    kind: 'url',
    description: "the gateway's admin base URL; events are read from /__events under it",
  },
  {
    name: 'GATEWAY_ADMIN_TOKEN',
    pointer: '/gateway/token',
    kind: 'secret',
    expect: BEARER_TOKEN_TEXT,
    description: "bearer token for the gateway's admin API",
  },
  // Kafka
  {
    name: 'TARGET_KAFKA_BROKERS',
    pointer: '/target/kafka/brokers',
    kind: 'brokers',
    target: 'kafka',
    description: 'bootstrap brokers',
  },
  {
    name: 'TARGET_KAFKA_TOPIC',
    pointer: '/target/kafka/topic',
    kind: 'string',
    target: 'kafka',
    description: 'topic; may contain {event_type}',
  },
  {
    name: 'TARGET_KAFKA_COMPRESSION',
    pointer: '/target/kafka/compression',
    kind: 'enum',
    target: 'kafka',
    description: 'message compression',
  },
  {
    name: 'TARGET_KAFKA_RETRY_MAX',
    pointer: '/target/kafka/retry_max',
    kind: 'int',
    target: 'kafka',
    description: 'producer retries per send',
  },
  {
    name: 'TARGET_KAFKA_ACKS',
    pointer: '/target/kafka/acks',
    kind: 'acks',
    target: 'kafka',
    description: 'required acknowledgements (all = -1)',
  },
  {
    name: 'TARGET_KAFKA_IDEMPOTENT',
    pointer: '/target/kafka/idempotent',
    kind: 'bool',
    target: 'kafka',
    default: 'true',
    description: 'idempotent producer: a retried batch is stored once (applies with acks all)',
  },
  {
    name: 'TARGET_KAFKA_CLIENT_ID',
    pointer: '/target/kafka/client_id',
    kind: 'string',
    target: 'kafka',
    description: 'Kafka client id',
  },
  {
    name: 'TARGET_KAFKA_TIMEOUT',
    pointer: '/target/kafka/timeout_ms',
    kind: 'duration',
    target: 'kafka',
    description: 'produce request timeout',
  },
  {
    name: 'TARGET_KAFKA_MAX_MESSAGE_BYTES',
    pointer: '/target/kafka/max_message_bytes',
    kind: 'size',
    target: 'kafka',
    description: 'largest message; bigger events are dead-lettered',
  },
  {
    name: 'TARGET_KAFKA_SASL_MECHANISM',
    pointer: '/target/kafka/sasl/mechanism',
    kind: 'enum',
    target: 'kafka',
    description: 'SASL mechanism; enables SASL',
  },
  {
    name: 'TARGET_KAFKA_SASL_USERNAME',
    pointer: '/target/kafka/sasl/username',
    kind: 'string',
    target: 'kafka',
    description: 'SASL user',
  },
  {
    name: 'TARGET_KAFKA_SASL_PASSWORD',
    pointer: '/target/kafka/sasl/password',
    kind: 'secret',
    target: 'kafka',
    description: 'SASL password',
  },
  {
    name: 'TARGET_KAFKA_SASL_TOKEN_FILE',
    pointer: '/target/kafka/sasl/token_file',
    kind: 'string',
    target: 'kafka',
    description: 'OAUTHBEARER: file holding the token, read again before it expires',
  },
  {
    name: 'TARGET_KAFKA_SASL_TOKEN_COMMAND',
    pointer: '/target/kafka/sasl/token_command',
    kind: 'secret',
    target: 'kafka',
    description: 'OAUTHBEARER: shell command printing the token, run again before it expires',
  },
  {
    name: 'TARGET_KAFKA_TLS',
    pointer: '/target/kafka/tls/enabled',
    kind: 'bool',
    target: 'kafka',
    default: 'false',
    description: 'connect with TLS',
  },
  {
    name: 'TARGET_KAFKA_TLS_CA_FILE',
    pointer: '/target/kafka/tls/ca_file',
    kind: 'string',
    target: 'kafka',
    description: 'PEM file of trusted CAs',
  },
  {
    name: 'TARGET_KAFKA_TLS_CERT_FILE',
    pointer: '/target/kafka/tls/cert_file',
    kind: 'string',
    target: 'kafka',
    description: 'PEM client certificate (mutual TLS)',
  },
  {
    name: 'TARGET_KAFKA_TLS_KEY_FILE',
    pointer: '/target/kafka/tls/key_file',
    kind: 'string',
    target: 'kafka',
    description: 'PEM client key (mutual TLS)',
  },
  {
    name: 'TARGET_KAFKA_TLS_REJECT_UNAUTHORIZED',
    pointer: '/target/kafka/tls/reject_unauthorized',
    kind: 'bool',
    target: 'kafka',
    description: "verify the brokers' certificates",
  },
  // HTTP
  {
    name: 'TARGET_HTTP_URL',
    pointer: '/target/http/url',
    kind: 'url',
    target: 'http',
    description: 'where batches are sent',
  },
  {
    name: 'TARGET_HTTP_METHOD',
    pointer: '/target/http/method',
    kind: 'method',
    target: 'http',
    description: 'request method',
  },
  {
    name: 'TARGET_HTTP_TIMEOUT',
    pointer: '/target/http/timeout_ms',
    kind: 'duration',
    target: 'http',
    description: 'request timeout',
  },
  {
    name: 'TARGET_HTTP_HEADERS',
    pointer: '/target/http/headers',
    kind: 'headers',
    target: 'http',
    description: 'extra request headers, e.g. Authorization=Bearer abc;X-Tenant=a',
  },
  {
    name: 'TARGET_HTTP_FORMAT',
    pointer: '/target/http/format',
    kind: 'enum',
    target: 'http',
    description: 'body: a JSON array (json) or one event per line (ndjson)',
  },
  {
    name: 'TARGET_HTTP_RETRY_MAX',
    pointer: '/target/http/retry_max',
    kind: 'int',
    target: 'http',
    description:
      'tries again within one send after a retryable failure, before the pipeline retries the batch with backoff',
  },
  // File
  {
    name: 'TARGET_FILE_PATH',
    pointer: '/target/file/path',
    kind: 'string',
    target: 'file',
    description: 'NDJSON file; - for stdout',
  },
  {
    name: 'TARGET_FILE_FSYNC',
    pointer: '/target/file/fsync',
    kind: 'fsync',
    target: 'file',
    description: 'fsync after each batch (delivery is confirmed after it)',
  },
  {
    name: 'TARGET_FILE_ROTATE_BYTES',
    pointer: '/target/file/rotate_bytes',
    kind: 'size',
    target: 'file',
    description: 'rotate the file beyond this size; 0 = never',
  },
  {
    name: 'TARGET_FILE_ROTATE_KEEP',
    pointer: '/target/file/rotate_keep',
    kind: 'int',
    target: 'file',
    description: 'rotated files kept',
  },
  // RabbitMQ
  {
    name: 'TARGET_RABBITMQ_URL',
    pointer: '/target/rabbitmq/url',
    kind: 'url',
    target: 'rabbitmq',
    description: 'AMQP URL',
    expect: 'an amqp:// or amqps:// URL',
  },
  {
    name: 'TARGET_RABBITMQ_EXCHANGE',
    pointer: '/target/rabbitmq/exchange',
    kind: 'string',
    target: 'rabbitmq',
    description: 'exchange (declared durable if missing)',
  },
  {
    name: 'TARGET_RABBITMQ_EXCHANGE_TYPE',
    pointer: '/target/rabbitmq/exchange_type',
    kind: 'enum',
    target: 'rabbitmq',
    description: 'exchange type',
  },
  {
    name: 'TARGET_RABBITMQ_ROUTING_KEY',
    pointer: '/target/rabbitmq/routing_key',
    kind: 'string',
    target: 'rabbitmq',
    description: 'routing key; default the event type; may contain {event_type}',
  },
  {
    name: 'TARGET_RABBITMQ_RETRY_MAX',
    pointer: '/target/rabbitmq/retry_max',
    kind: 'int',
    target: 'rabbitmq',
    description:
      'reconnects and republishes within one send, before the pipeline retries the batch with backoff',
  },
  // Delivery
  {
    name: 'EVENT_BATCH_MAX_EVENTS',
    pointer: '/batch/max_events',
    kind: 'int',
    description: 'events per batch',
  },
  {
    name: 'EVENT_BATCH_LINGER',
    pointer: '/batch/linger_ms',
    kind: 'duration',
    description: 'how long a partial batch waits for more events',
  },
  {
    name: 'EVENT_RETRY_INITIAL',
    pointer: '/retry/initial_ms',
    kind: 'duration',
    description: 'first retry backoff (exponential, with jitter)',
  },
  {
    name: 'EVENT_RETRY_MAX_DELAY',
    pointer: '/retry/max_ms',
    kind: 'duration',
    description: 'backoff ceiling',
  },
  {
    name: 'EVENT_INGEST_MAX_BODY_BYTES',
    pointer: '/ingest/max_body_bytes',
    kind: 'size',
    description: 'largest POST /events or /kong/http-log body (413 beyond)',
  },
  {
    name: 'EVENT_INGEST_MAX_ITEMS',
    pointer: '/ingest/max_items',
    kind: 'int',
    description: 'most items (events, or Kong log entries) in one ingest request (413 beyond, nothing taken)',
  },
  {
    name: 'EVENT_INGEST_MAX_IN_FLIGHT_BYTES',
    pointer: '/ingest/max_in_flight_bytes',
    kind: 'size',
    description:
      'request bytes all ingest requests may hold at once (Content-Length, or the body bound when chunked); 503 SWY_INGEST_BUSY with Retry-After beyond',
  },
  {
    name: 'EVENT_SPOOL_ENABLED',
    pointer: '/spool/enabled',
    kind: 'bool',
    description: 'keep events on disk until the sink confirms them',
  },
  { name: 'EVENT_SPOOL_DIR', pointer: '/spool/dir', kind: 'string', description: 'spool directory' },
  {
    name: 'EVENT_SPOOL_MAX_BYTES',
    pointer: '/spool/max_bytes',
    kind: 'size',
    description: 'spool size limit',
  },
  {
    name: 'EVENT_SPOOL_FULL_POLICY',
    pointer: '/spool/full_policy',
    kind: 'enum',
    description: 'what happens when the spool is full',
  },
  {
    name: 'EVENT_SPOOL_MEMORY_MAX_EVENTS',
    pointer: '/spool/memory_max_events',
    kind: 'int',
    description: 'events held in memory when the spool is disabled',
  },
  {
    name: 'EVENT_DEAD_LETTER_PATH',
    pointer: '/dead_letter/path',
    kind: 'string',
    description: 'NDJSON file of events that failed for good, with the reason',
  },
  {
    name: 'EVENT_SHUTDOWN_TIMEOUT',
    pointer: '/shutdown/timeout_ms',
    kind: 'duration',
    description: 'on SIGTERM/SIGINT, how long delivery goes on; what is left stays in the spool',
  },
];

function sizeText(bytes: number): string {
  for (const [unit, n] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

function expectFor(row: Row): string {
  if (row.expect) return row.expect;
  const schema = schemaAt(EventProxySchema, row.pointer);
  const choices = choicesOf(schema);
  if ((row.kind === 'enum' || row.kind === 'method') && choices) return oneOfText(choices);
  if (row.kind === 'int') {
    const min = schema?.minimum;
    return typeof min === 'number' ? `an integer ≥ ${min}` : 'an integer';
  }
  if (row.kind === 'event-types') {
    const names = choicesOf(schemaAt(EventProxySchema, `${row.pointer}/0`)) ?? [];
    return `a comma-separated list of ${names.join(', ')} (empty = all)`;
  }
  return KIND_TEXT[row.kind] ?? 'a value';
}

function defaultFor(row: Row): string | undefined {
  if (row.default !== undefined) return row.default;
  const d = schemaAt(EventProxySchema, row.pointer)?.default;
  if (d === undefined) return undefined;
  if (row.kind === 'duration') return formatDuration(d as number);
  if (row.kind === 'size') return sizeText(d as number);
  if (row.kind === 'acks') return d === -1 ? 'all' : String(d);
  if (Array.isArray(d)) return d.length > 0 ? d.join(',') : undefined;
  if (typeof d === 'object' && d !== null) return undefined;
  return String(d);
}

/** Every environment variable of the event proxy: where it goes, what it accepts, its default. */
export const EVENT_PROXY_ENV: readonly EnvVar[] = ROWS.map((row) => {
  const d = defaultFor(row);
  return { ...row, expect: expectFor(row), ...(d !== undefined && { default: d }) };
});

/** The variable naming a JSON settings file (read first; the other variables override it). */
export const EVENT_PROXY_CONFIG_VAR = 'EVENT_PROXY_CONFIG';
