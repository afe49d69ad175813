import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Logger, SwitchyardError } from '@switchyard/shared';
import {
  type HttpClientPlugin,
  type HttpServerPlugin,
  PLUGIN_TYPES,
  type RequestModifierPlugin,
  type ResponseModifierPlugin,
  type SwitchyardPlugin,
} from './api.js';

/** The root `plugin` key: where modules are loaded from. */
export interface PluginFolder {
  folder: string;
  /** Only files whose name contains it, as lura's Scan matches (default: every module). */
  pattern?: string | undefined;
}

export interface LoadedModule {
  file: string;
  plugins: readonly SwitchyardPlugin[];
}

export interface PluginLoadFailure {
  file: string;
  error: SwitchyardError;
}

/** Every plugin loaded, by type and name, and the modules that failed. */
export interface PluginRegistry {
  readonly server: ReadonlyMap<string, HttpServerPlugin>;
  readonly client: ReadonlyMap<string, HttpClientPlugin>;
  readonly request: ReadonlyMap<string, RequestModifierPlugin>;
  readonly response: ReadonlyMap<string, ResponseModifierPlugin>;
  readonly modules: readonly LoadedModule[];
  readonly failures: readonly PluginLoadFailure[];
}

const MODULE = /\.(mjs|js)$/;

/**
 * How long one module may take to load: a top-level await that never settles would otherwise keep the
 * gateway from ever starting (and `check-plugin` from ever answering).
 */
export const PLUGIN_LOAD_TIMEOUT_MS = 10_000;

export interface PluginLoadOptions {
  /** Per module; PLUGIN_LOAD_TIMEOUT_MS unless set. */
  timeoutMs?: number;
}

/** An empty registry: a gateway started without plugins. */
export const NO_PLUGINS: PluginRegistry = {
  server: new Map(),
  client: new Map(),
  request: new Map(),
  response: new Map(),
  modules: [],
  failures: [],
};

const fail = (file: string, message: string, cause?: unknown) =>
  new SwitchyardError('SWY_PLUGIN_LOAD', `plugin module ${file}: ${message}`, {
    details: { file },
    ...(cause !== undefined && { cause }),
  });

/** Why a value is not a plugin, or null when it is one. */
function invalidPlugin(p: unknown): string | null {
  if (typeof p !== 'object' || p === null) return 'is not an object';
  const { type, name, create } = p as Record<string, unknown>;
  if (!PLUGIN_TYPES.includes(type as SwitchyardPlugin['type']))
    return `has type ${JSON.stringify(type)} (expected one of ${PLUGIN_TYPES.join(', ')})`;
  if (typeof name !== 'string' || name === '') return 'has no name';
  if (typeof create !== 'function') return `${JSON.stringify(name)} has no create function`;
  return null;
}

/**
 * Imports one module and returns the plugins its default export holds (one plugin or a list of them).
 * Throws SWY_PLUGIN_LOAD naming the file when it cannot be imported, is still loading after the timeout
 * (its import is left behind: a module cannot be unloaded), or exports no valid plugin.
 */
export async function importPluginModule(
  file: string,
  { timeoutMs = PLUGIN_LOAD_TIMEOUT_MS }: PluginLoadOptions = {},
): Promise<LoadedModule> {
  const path = resolve(file);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(path, `did not finish loading within ${timeoutMs} ms`)), timeoutMs);
  });
  let exported: unknown;
  try {
    const imported = import(pathToFileURL(path).href).catch((err: unknown) => {
      throw fail(path, `cannot be imported: ${err instanceof Error ? err.message : String(err)}`, err);
    });
    exported = ((await Promise.race([imported, late])) as { default?: unknown }).default;
  } finally {
    clearTimeout(timer);
  }
  const list = Array.isArray(exported) ? exported : [exported];
  if (exported === undefined || list.length === 0)
    throw fail(path, 'has no default export (a plugin or a list of plugins)');
  list.forEach((p, i) => {
    const why = invalidPlugin(p);
    if (why) throw fail(path, `${Array.isArray(exported) ? `plugin [${i}]` : 'the default export'} ${why}`);
  });
  return { file: path, plugins: list as SwitchyardPlugin[] };
}

/** The modules of a folder lura's Scan would pick: files whose name contains the pattern. */
export async function scanPluginFolder({ folder, pattern = '' }: PluginFolder): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.includes(pattern) && MODULE.test(e.name))
    .map((e) => join(folder, e.name))
    .sort();
}

/**
 * Loads every plugin module of the folder. A module that fails is logged (with its file) and kept in
 * `failures`; the others load. Later registrations of a name replace earlier ones, as in KrakenD's register.
 */
export async function loadPlugins(
  where: PluginFolder,
  logger?: Logger,
  options: PluginLoadOptions = {},
): Promise<PluginRegistry> {
  let files: string[];
  try {
    files = await scanPluginFolder(where);
  } catch (err) {
    const error = fail(resolve(where.folder), `the folder cannot be read: ${(err as Error).message}`, err);
    logger?.warn({ err: error, folder: where.folder }, 'no plugins loaded');
    return { ...NO_PLUGINS, failures: [{ file: resolve(where.folder), error }] };
  }
  const server = new Map<string, HttpServerPlugin>();
  const client = new Map<string, HttpClientPlugin>();
  const request = new Map<string, RequestModifierPlugin>();
  const response = new Map<string, ResponseModifierPlugin>();
  const modules: LoadedModule[] = [];
  const failures: PluginLoadFailure[] = [];
  for (const file of files) {
    try {
      const m = await importPluginModule(file, options);
      for (const p of m.plugins) {
        if (p.type === 'http-server') server.set(p.name, p);
        else if (p.type === 'http-client') client.set(p.name, p);
        else if (p.type === 'request-modifier') request.set(p.name, p);
        else response.set(p.name, p);
      }
      modules.push(m);
      logger?.info({ file: m.file, plugins: m.plugins.map((p) => `${p.type} ${p.name}`) }, 'plugin loaded');
    } catch (err) {
      const error = err as SwitchyardError;
      failures.push({ file: resolve(file), error });
      logger?.warn({ err: error, file: resolve(file) }, 'plugin module not loaded');
    }
  }
  return { server, client, request, response, modules, failures };
}
