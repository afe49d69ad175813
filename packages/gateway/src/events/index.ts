export { type BackendHealth, deriveStatus, type HealthSources } from './health.js';
export {
  EVENT_HUB_DEFAULTS,
  type EventFeed,
  EventHub,
  type EventHubOptions,
  type EventListener,
  type ForwardedEvent,
  type GapInfo,
  type StartPosition,
  StoredEvent,
  type SubscribeOptions,
} from './hub.js';
export type { GatewayObserver, RequestInfo, ResponseInfo } from './observer.js';
export { EVENT_DEFAULTS, EventPolicy } from './policy.js';
export type { EventWorkerOptions, WorkerHealth, WorkerState } from './worker/host.js';
export type {
  AttachEventConsumer,
  EventWorkerConsumer,
  EventWorkerContext,
} from './worker/messages.js';
