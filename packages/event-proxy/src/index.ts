export { createProxyMetrics, type DropReason, type ProxyMetrics } from './admin/metrics.js';
export { backoffDelay } from './pipeline/backoff.js';
export { createQueue } from './pipeline/create-queue.js';
export { type DeadLetter, DeadLetterFile } from './pipeline/dead-letter.js';
export { rememberJson } from './pipeline/event-json.js';
export { createTypeFilter } from './pipeline/filter.js';
export type { IntakeResult } from './pipeline/intake.js';
export { type FullPolicy, MemoryQueue, type MemoryQueueOptions } from './pipeline/memory-queue.js';
export type { AppendResult, EventQueue, QueuedBatch } from './pipeline/queue.js';
export { type SerializedEvent, serializedEnvelope } from './pipeline/serialized-envelope.js';
export {
  type CloseOptions,
  createEventProxy,
  type EventProxy,
  type EventProxyOptions,
} from './proxy.js';
export { type RunIO, runEventProxy } from './run.js';
export { FileSink } from './sinks/file.js';
export { HttpSink } from './sinks/http.js';
export { createSink, type SinkDeps } from './sinks/index.js';
export { parseRetryAfter } from './sinks/retry-after.js';
export type { Rejected, SendResult, Sink, SinkRetryListener } from './sinks/sink.js';
export { CURSOR_FILE } from './sources/cursor-file.js';
export {
  GatewayStreamSource,
  type GatewayStreamSourceOptions,
  type SseMessage,
  SseParser,
  type StreamGap,
} from './sources/gateway-stream.js';
export { type KongLogEntry, kongLogProblems, mapKongLogEntry } from './sources/kong-http-log.js';
export type { Source, SourceContext } from './sources/source.js';
export { acceptWhenRoom } from './sources/wait-for-room.js';
export { LOCK_FILE } from './spool/lock.js';
