export { type Diagnostic, formatDiagnostic, formatDiagnostics } from './diagnostics/diagnostic.js';
export { didYouMean, editDistance, nearMiss } from './diagnostics/near-miss.js';
export { eventProxySettingsFromEnv } from './event-proxy/env.js';
export {
  type EnvKind,
  type EnvVar,
  EVENT_PROXY_CONFIG_VAR,
  EVENT_PROXY_ENV,
} from './event-proxy/env-table.js';
export { type LoadEventProxyOptions, loadEventProxySettings } from './event-proxy/load.js';
export * from './event-proxy/schema.js';
export { validateEventProxySettings } from './event-proxy/validate.js';
export { TemplateError } from './flexible/error.js';
export {
  type FlexibleConfig,
  flexibleConfigFromEnv,
  type RenderedConfig,
  renderFlexibleConfig,
  renderTemplate,
} from './flexible/render.js';
export {
  type ConfigFormat,
  formatOf,
  parseConfigText,
  readConfigFile,
} from './formats/read-config-file.js';
export {
  type KeySupport,
  KRAKEND_KEYS,
  KRAKEND_NAMESPACES,
  KRAKEND_NAMESPACES_SUPPORT,
  NAMESPACE_ALIASES,
  type NamespaceSupport,
  RENAMED_IN_V3,
  type Support,
  UNIMPLEMENTED_KEYS,
} from './gateway/compatibility.js';
export { type LoadGatewayOptions, loadGatewayConfig } from './gateway/load.js';
export * from './gateway/namespaces.js';
export * from './gateway/schema.js';
export { type GatewaySource, readGatewaySource } from './gateway/source.js';
export {
  diagnoseGatewayConfig,
  type LoadedGatewayConfig,
  type ValidateGatewayOptions,
  validateGatewayConfig,
} from './gateway/validate.js';
export {
  type Located,
  MAX_JSON_DEPTH,
  type ParsedJson,
  type Position,
  parseJsonWithPositions,
} from './json/parse-with-positions.js';
export { readJsonFile } from './json/read-json-file.js';
