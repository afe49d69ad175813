import { readJsonFile } from '../json/read-json-file.js';
import { resolveEventProxySettings } from './env.js';
import { EVENT_PROXY_CONFIG_VAR } from './env-table.js';
import type { EventProxySettings } from './schema.js';

export interface LoadEventProxyOptions {
  /** Environment variables (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** A JSON settings file in the structured form; default: the file named by EVENT_PROXY_CONFIG, if any. */
  file?: string;
}

/**
 * The event proxy settings: the file first (if any), then the environment variables on top, validated as
 * one. File problems are reported with file, pointer and line:column; variable problems name the variable.
 */
export async function loadEventProxySettings(
  options: LoadEventProxyOptions = {},
): Promise<EventProxySettings> {
  const env = options.env ?? process.env;
  const file = options.file ?? (env[EVENT_PROXY_CONFIG_VAR]?.trim() || undefined);
  if (file === undefined) return resolveEventProxySettings(env, undefined);
  const { value, positions } = await readJsonFile(file);
  return resolveEventProxySettings(env, value, { file, positions });
}
