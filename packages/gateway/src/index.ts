export {
  ADMIN_DEFAULTS,
  type AdminServer,
  type AdminServerOptions,
  createAdminServer,
  type ListenAddress,
  parseListenAddress,
} from './admin/index.js';
export {
  type BackendHealth,
  EVENT_HUB_DEFAULTS,
  EventHub,
  type EventHubOptions,
  type EventListener,
  type GapInfo,
  type GatewayObserver,
  type HealthSources,
  type RequestInfo,
  type ResponseInfo,
  type StartPosition,
  type StoredEvent,
  type SubscribeOptions,
} from './events/index.js';
export {
  type ConfigWatcher,
  type ConfigWatcherOptions,
  type NamespaceChange,
  namespaceChanges,
  type ReloadOutcome,
  type ReloadTrigger,
  watchGatewayConfig,
} from './reload/index.js';
export {
  type AdminAddress,
  createGateway,
  type Gateway,
  type GatewayAddress,
  type GatewayOptions,
} from './server.js';
export {
  DEFAULT_CONNECTIONS_PER_ORIGIN,
  DEFAULT_MAX_BACKEND_BODY_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  USER_AGENT,
} from './settings.js';
