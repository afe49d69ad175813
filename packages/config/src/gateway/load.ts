import { readGatewaySource } from './source.js';
import { type LoadedGatewayConfig, validateGatewayConfig } from './validate.js';

export interface LoadGatewayOptions {
  /** SWITCHYARD_<KEY> overrides and FC_* settings are read from here (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** `check --lint`: the schema strictly, and warnings about questionable things (else: as KrakenD's run). */
  lint?: boolean;
  /** The router's rule, two endpoints on one method and path [true]; plain `check` leaves it out. */
  routes?: boolean;
}

/**
 * Reads, parses and validates a gateway config file (JSON, YAML or TOML; a Flexible Configuration
 * template when FC_ENABLE is set). SWY_CONFIG_READ if it cannot be read, SWY_CONFIG_TEMPLATE if the
 * template fails, SWY_CONFIG_PARSE (with line:column) if it does not parse, SWY_CONFIG_INVALID with
 * diagnostics otherwise. `sources` lists every file it came from.
 */
export async function loadGatewayConfig(
  file: string,
  options: LoadGatewayOptions = {},
): Promise<LoadedGatewayConfig & { sources: string[] }> {
  const env = options.env ?? process.env;
  const source = await readGatewaySource(file, env);
  const loaded = validateGatewayConfig(source.parsed.value, {
    file: source.label,
    parsed: source.parsed,
    env,
    ...(options.lint !== undefined && { lint: options.lint }),
    ...(options.routes !== undefined && { routes: options.routes }),
  });
  return { ...loaded, sources: source.sources };
}
