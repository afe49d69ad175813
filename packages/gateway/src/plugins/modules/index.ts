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
  type PluginFolder,
  type PluginLoadFailure,
  type PluginRegistry,
  scanPluginFolder,
} from './registry.js';
export { type ServerPluginOptions, wrapServerHandler } from './server-handler.js';
