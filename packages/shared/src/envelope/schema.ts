import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** The event types every producer and sink understands. */
export const EVENT_TYPES = ['request', 'response', 'plugin_updated', 'node_health'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const StringMap = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));

export const RequestData = Type.Object(
  {
    request_id: Type.String({ minLength: 1 }),
    method: Type.String({ minLength: 1 }),
    path: Type.String(),
    endpoint: Type.String({ description: 'the matched endpoint pattern' }),
    query: StringMap,
    client_ip: Type.String(),
    headers: StringMap,
    headers_omitted: Type.Optional(
      Type.Integer({ minimum: 1, description: 'headers left out beyond the per-event header byte cap' }),
    ),
    body_bytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
);

export const BackendCall = Type.Object(
  {
    url: Type.String(),
    method: Type.String(),
    status: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'null when no response came',
    }),
    latency_ms: Type.Number({ minimum: 0 }),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ResponseData = Type.Object(
  {
    request_id: Type.String({ minLength: 1 }),
    method: Type.String({ minLength: 1 }),
    path: Type.String(),
    endpoint: Type.String(),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    latency_ms: Type.Number({ minimum: 0 }),
    bytes: Type.Integer({ minimum: 0 }),
    completed: Type.Boolean(),
    backends: Type.Array(BackendCall),
  },
  { additionalProperties: true },
);

export const PluginUpdatedData = Type.Object(
  {
    plugin: Type.String({ minLength: 1, description: 'the config namespace, e.g. qos/circuit-breaker' }),
    scope: Type.String({ description: 'the endpoint or backend the plugin is attached to' }),
    change: Type.Union([Type.Literal('config'), Type.Literal('state')]),
    from: Type.Unknown(),
    to: Type.Unknown(),
  },
  { additionalProperties: true },
);

export const HealthStatus = Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]);

export const NodeHealthData = Type.Object(
  {
    status: HealthStatus,
    uptime_s: Type.Number({ minimum: 0 }),
    rss_bytes: Type.Integer({ minimum: 0 }),
    event_loop_lag_ms: Type.Number({ minimum: 0 }),
    in_flight: Type.Integer({ minimum: 0 }),
    version: Type.String(),
    event_worker: Type.Optional(
      Type.Object(
        {
          state: Type.String({ description: 'starting, running, restarting or stopped' }),
          restarts: Type.Integer({ minimum: 0 }),
          last_error: Type.Optional(Type.String()),
          dropped: Type.Integer({ minimum: 0, description: 'records the hand-off had no room for' }),
          priority: Type.Optional(
            Type.Object(
              {
                nice: Type.Integer({ description: "the worker thread's nice value" }),
                idle: Type.Boolean({ description: 'whether it runs under SCHED_IDLE' }),
              },
              { additionalProperties: true },
            ),
          ),
        },
        { additionalProperties: true },
      ),
    ),
    workers: Type.Optional(
      Type.Object(
        {
          configured: Type.Integer({ minimum: 1, description: 'gateway workers asked for (--workers)' }),
          up: Type.Integer({ minimum: 0, description: 'workers serving now' }),
          restarts: Type.Integer({ minimum: 0, description: 'workers restarted after they exited' }),
          events_lost: Type.Optional(
            Type.Integer({
              minimum: 0,
              description:
                'events of workers that exited before forwarding them (at least; each exit is a gap)',
            }),
          ),
        },
        { additionalProperties: true },
      ),
    ),
    backends: Type.Optional(
      Type.Array(
        Type.Object(
          {
            url: Type.String(),
            status: Type.Optional(HealthStatus),
            breaker: Type.Optional(
              Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
            ),
          },
          { additionalProperties: true },
        ),
      ),
    ),
  },
  { additionalProperties: true },
);

/** The `data` schema of each event type. */
export const EventDataSchemas = {
  request: RequestData,
  response: ResponseData,
  plugin_updated: PluginUpdatedData,
  node_health: NodeHealthData,
} as const satisfies Record<EventType, TSchema>;

const envelopeOf = <T extends EventType, D extends TSchema>(type: T, data: D) =>
  Type.Object(
    {
      id: Type.String({ minLength: 1, maxLength: 128, description: 'unique, time-ordered (ULID)' }),
      event_type: Type.Literal(type),
      // Seconds, as KNEP writes them; the upper bound rejects millisecond timestamps by mistake.
      timestamp: Type.Integer({ minimum: 0, maximum: 99_999_999_999 }),
      kong_node_id: Type.String({
        description: 'the emitting node id (the name is kept for wire compatibility)',
      }),
      data,
    },
    { additionalProperties: false },
  );

export const RequestEvent = envelopeOf('request', RequestData);
export const ResponseEvent = envelopeOf('response', ResponseData);
export const PluginUpdatedEvent = envelopeOf('plugin_updated', PluginUpdatedData);
export const NodeHealthEvent = envelopeOf('node_health', NodeHealthData);

/** The envelope of any event: one JSON object per event, on every sink. */
export const EnvelopeSchema = Type.Union([RequestEvent, ResponseEvent, PluginUpdatedEvent, NodeHealthEvent], {
  $id: 'https://switchyard.dev/schemas/envelope.json',
  title: 'Switchyard event envelope',
});

export type RequestData = Static<typeof RequestData>;
export type ResponseData = Static<typeof ResponseData>;
export type BackendCall = Static<typeof BackendCall>;
export type PluginUpdatedData = Static<typeof PluginUpdatedData>;
export type NodeHealthData = Static<typeof NodeHealthData>;
export type HealthStatus = Static<typeof HealthStatus>;
export type RequestEvent = Static<typeof RequestEvent>;
export type ResponseEvent = Static<typeof ResponseEvent>;
export type PluginUpdatedEvent = Static<typeof PluginUpdatedEvent>;
export type NodeHealthEvent = Static<typeof NodeHealthEvent>;
export type Envelope = Static<typeof EnvelopeSchema>;
export type EventData<T extends EventType> = Static<(typeof EventDataSchemas)[T]>;
