import { SwitchyardError } from '@switchyard/shared';
import type { PluginRegistry } from './registry.js';

/**
 * A name no loaded module registered: the endpoint is not served (500) rather than served without the
 * plugin, and the message names the modules that failed to load, the likely reason.
 */
export function missingPlugin(
  namespace: string,
  name: string,
  where: string,
  registry: PluginRegistry,
): SwitchyardError {
  const failed = registry.failures.map((f) => f.file);
  const why =
    failed.length > 0
      ? ` (modules that failed to load: ${failed.join(', ')})`
      : registry.modules.length === 0
        ? ' (no plugin modules are loaded: set the root "plugin" folder)'
        : '';
  return new SwitchyardError(
    'SWY_PLUGIN_LOAD',
    `${where}: ${namespace}: no loaded plugin is named ${JSON.stringify(name)}${why}`,
    { details: { plugin: name, namespace } },
  );
}
