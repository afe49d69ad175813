export type { GatewayObserver, RequestInfo, ResponseInfo } from './events/observer.js';
export { createGateway, type Gateway, type GatewayAddress, type GatewayOptions } from './server.js';
export {
  DEFAULT_CONNECTIONS_PER_ORIGIN,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  MAX_BACKEND_BODY_BYTES,
  USER_AGENT,
} from './settings.js';
