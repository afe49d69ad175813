export { type BackendHealth, deriveStatus, type HealthSources } from './health.js';
export {
  EVENT_HUB_DEFAULTS,
  EventHub,
  type EventHubOptions,
  type EventListener,
  type GapInfo,
  type StartPosition,
  type StoredEvent,
  type SubscribeOptions,
} from './hub.js';
export type { GatewayObserver, RequestInfo, ResponseInfo } from './observer.js';
