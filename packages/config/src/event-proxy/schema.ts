import { type Static, Type } from '@sinclair/typebox';
import { BEARER_TOKEN_PATTERN, BEARER_TOKEN_TEXT } from '@switchyard/shared';

// The event proxy's settings in their structured form. The environment (DESIGN.md's variable names) and a
// JSON config file both map onto this one schema and are validated by it; defaults are filled by ajv.
const obj = <P extends Parameters<typeof Type.Object>[0]>(props: P, options: Record<string, unknown> = {}) =>
  Type.Object(props, { additionalProperties: false, patternProperties: { '^[@$_#]': {} }, ...options });
/** A group whose every key has a default: absent, it is filled in whole (`default: {}` then its members). */
const group = <P extends Parameters<typeof Type.Object>[0]>(props: P) => obj(props, { default: {} });

const Ms = (def: number, description: string) =>
  Type.Integer({ minimum: 0, default: def, description: `${description} (ms)` });

export const EventTypeName = Type.Union([
  Type.Literal('request'),
  Type.Literal('response'),
  Type.Literal('plugin_updated'),
  Type.Literal('node_health'),
]);

export const KafkaTarget = obj({
  brokers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  topic: Type.String({ minLength: 1, description: 'may contain {event_type}' }),
  compression: Type.Union(
    [
      Type.Literal('none'),
      Type.Literal('gzip'),
      Type.Literal('snappy'),
      Type.Literal('lz4'),
      Type.Literal('zstd'),
    ],
    { default: 'none' },
  ),
  retry_max: Type.Integer({ minimum: 0, default: 3 }),
  acks: Type.Union([Type.Literal(-1), Type.Literal(0), Type.Literal(1)], { default: -1 }),
  idempotent: Type.Boolean({ default: true, description: 'idempotent producer (with acks -1)' }),
  client_id: Type.String({ default: 'switchyard-event-proxy' }),
  timeout_ms: Ms(30_000, 'request timeout'),
  max_message_bytes: Type.Integer({ minimum: 1, default: 1_000_000 }),
  sasl: Type.Optional(
    obj(
      {
        mechanism: Type.Union([
          Type.Literal('plain'),
          Type.Literal('scram-sha-256'),
          Type.Literal('scram-sha-512'),
          Type.Literal('oauthbearer'),
        ]),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String()),
        token_file: Type.Optional(Type.String({ minLength: 1, description: 'OAUTHBEARER token file' })),
        token_command: Type.Optional(
          Type.String({ minLength: 1, description: 'command printing the OAUTHBEARER token' }),
        ),
      },
      {
        // plain and SCRAM take a user and password; OAUTHBEARER a token from a file or a command (one of).
        if: { properties: { mechanism: { const: 'oauthbearer' } }, required: ['mechanism'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
        then: {
          anyOf: [{ required: ['token_file'] }, { required: ['token_command'] }],
          not: { required: ['token_file', 'token_command'] },
          'x-expected': 'one of token_file and token_command (mechanism oauthbearer)',
        },
        else: { required: ['username', 'password'] },
      },
    ),
  ),
  tls: Type.Optional(
    obj({
      enabled: Type.Boolean({ default: true }),
      ca_file: Type.Optional(Type.String()),
      cert_file: Type.Optional(Type.String()),
      key_file: Type.Optional(Type.String()),
      reject_unauthorized: Type.Boolean({ default: true }),
    }),
  ),
});

export const HttpTarget = obj({
  url: Type.String({ pattern: '^https?://' }),
  method: Type.Union([Type.Literal('POST'), Type.Literal('PUT')], { default: 'POST' }),
  timeout_ms: Ms(5000, 'request timeout'),
  headers: Type.Record(Type.String(), Type.String(), { default: {} }),
  format: Type.Union([Type.Literal('json'), Type.Literal('ndjson')], { default: 'json' }),
  retry_max: Type.Integer({ minimum: 0, default: 5 }),
});

export const FileTarget = obj({
  path: Type.String({ minLength: 1, description: '- for stdout' }),
  fsync: Type.Union([Type.Literal('batch'), Type.Literal('never')], { default: 'batch' }),
  rotate_bytes: Type.Integer({ minimum: 0, default: 0, description: '0 = never rotate' }),
  rotate_keep: Type.Integer({ minimum: 1, default: 5 }),
});

export const RabbitTarget = obj({
  url: Type.String({ pattern: '^amqps?://' }),
  exchange: Type.String({ minLength: 1 }),
  exchange_type: Type.Union(
    [Type.Literal('topic'), Type.Literal('direct'), Type.Literal('fanout'), Type.Literal('headers')],
    {
      default: 'topic',
    },
  ),
  routing_key: Type.Optional(
    Type.String({ description: 'default: the event type; may contain {event_type}' }),
  ),
  retry_max: Type.Integer({ minimum: 0, default: 5 }),
});

export const TargetType = Type.Union([
  Type.Literal('kafka'),
  Type.Literal('http'),
  Type.Literal('file'),
  Type.Literal('rabbitmq'),
]);

const TARGET_TYPES = ['kafka', 'http', 'file', 'rabbitmq'] as const;

export const EventProxySchema = obj(
  {
    listen: Type.String({
      default: '127.0.0.1:8095',
      pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s\\[\\]]*):[0-9]{1,5}$',
      'x-expected': 'host:port, e.g. 127.0.0.1:8095 or [::1]:8095',
      description: 'host:port of ingest, health and metrics',
    }),
    log_level: Type.Union(
      [Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')],
      {
        default: 'info',
      },
    ),
    filter: group({ types: Type.Array(EventTypeName, { default: [], description: 'empty = all' }) }),
    ingest: group({
      // No default: on for `switchyard events`, off under `switchyard run` unless asked for (the caller decides).
      enabled: Type.Optional(Type.Boolean({ description: 'serve POST /events and /kong/http-log' })),
      token: Type.Optional(
        Type.String({
          pattern: BEARER_TOKEN_PATTERN,
          'x-expected': BEARER_TOKEN_TEXT,
          description: 'bearer token ingest requires',
        }),
      ),
      allow_insecure: Type.Boolean({
        default: false,
        description: 'allow ingest on a non-loopback address without a token',
      }),
      max_body_bytes: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024 }),
      max_items: Type.Integer({ minimum: 1, default: 10_000, description: 'items (events) per request' }),
      max_in_flight_bytes: Type.Integer({
        minimum: 1,
        default: 32 * 1024 * 1024,
        description: 'request bytes all ingest requests may hold at once (503 beyond)',
      }),
    }),
    kong: Type.Optional(
      obj({
        admin_url: Type.String({ pattern: '^https?://' }),
        admin_timeout_ms: Ms(5000, 'Kong Admin API timeout'),
        poll_interval_ms: Ms(10_000, 'how often /status and /plugins are polled'),
      }),
    ),
    gateway: Type.Optional(
      obj({
        admin_url: Type.String({ pattern: '^https?://' }),
        token: Type.Optional(Type.String({ pattern: BEARER_TOKEN_PATTERN, 'x-expected': BEARER_TOKEN_TEXT })),
      }),
    ),
    target: obj({
      type: TargetType,
      kafka: Type.Optional(KafkaTarget),
      http: Type.Optional(HttpTarget),
      file: Type.Optional(FileTarget),
      rabbitmq: Type.Optional(RabbitTarget),
    }),
    batch: group({
      max_events: Type.Integer({ minimum: 1, default: 500 }),
      linger_ms: Ms(50, 'how long a partial batch waits for more events'),
    }),
    retry: group({
      initial_ms: Ms(100, 'first backoff'),
      max_ms: Ms(30_000, 'backoff ceiling'),
    }),
    spool: group({
      enabled: Type.Boolean({ default: true }),
      dir: Type.String({ default: './switchyard-spool' }),
      max_bytes: Type.Integer({ minimum: 1, default: 1024 ** 3 }),
      full_policy: Type.Union(
        [Type.Literal('block'), Type.Literal('drop_oldest'), Type.Literal('drop_newest')],
        {
          default: 'block',
        },
      ),
      memory_max_events: Type.Integer({ minimum: 1, default: 100_000 }),
    }),
    dead_letter: group({ path: Type.String({ default: './switchyard-dead-letters.ndjson' }) }),
    shutdown: group({ timeout_ms: Ms(10_000, 'how long a stop keeps delivering what is queued') }),
  },
  {
    // The settings of the chosen target are required: target.kafka when target.type is kafka, and so on.
    allOf: TARGET_TYPES.map((t) => ({
      if: { properties: { target: { properties: { type: { const: t } }, required: ['type'] } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
      then: { properties: { target: { required: [t], 'x-why': `when target.type is "${t}"` } } },
    })),
  },
);

export type EventProxySettings = Static<typeof EventProxySchema>;
export type KafkaTarget = Static<typeof KafkaTarget>;
export type HttpTarget = Static<typeof HttpTarget>;
export type FileTarget = Static<typeof FileTarget>;
export type RabbitTarget = Static<typeof RabbitTarget>;
export type TargetType = Static<typeof TargetType>;
