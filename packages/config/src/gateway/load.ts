import { readJsonFile } from '../json/read-json-file.js';
import { type LoadedGatewayConfig, validateGatewayConfig } from './validate.js';

export interface LoadGatewayOptions {
  /** SWITCHYARD_<KEY> overrides are read from here (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Also warn about questionable but valid things. */
  lint?: boolean;
}

/**
 * Reads, parses and validates a gateway config file. SWY_CONFIG_READ if it cannot be read,
 * SWY_CONFIG_PARSE (with line:column) if it is not JSON, SWY_CONFIG_INVALID with diagnostics otherwise.
 */
export async function loadGatewayConfig(
  file: string,
  options: LoadGatewayOptions = {},
): Promise<LoadedGatewayConfig> {
  const parsed = await readJsonFile(file);
  return validateGatewayConfig(parsed.value, {
    file,
    parsed,
    env: options.env ?? process.env,
    ...(options.lint !== undefined && { lint: options.lint }),
  });
}
