export { type NamespaceChange, namespaceChanges } from './diff.js';
export {
  type ConfigWatcher,
  type ConfigWatcherOptions,
  type ReloadOutcome,
  type ReloadTrigger,
  watchGatewayConfig,
} from './watch.js';
