export * from './api.js';
export {
  type ClientPlugin,
  callClientPlugin,
  compileClientPlugin,
  type PluginAnswer,
} from './client.js';
export { withModifiers } from './modifier.js';
export {
  importPluginModule,
  type LoadedModule,
  loadPlugins,
  NO_PLUGINS,
  PLUGIN_LOAD_TIMEOUT_MS,
  type PluginFolder,
  type PluginLoadFailure,
  type PluginLoadOptions,
  type PluginRegistry,
  scanPluginFolder,
} from './registry.js';
export { type ServerPluginOptions, wrapServerHandler } from './server-handler.js';
