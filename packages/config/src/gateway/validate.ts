import { SwitchyardError } from '@switchyard/shared';
import { ajv } from '../diagnostics/ajv.js';
import { type Diagnostic, formatDiagnostics, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { problemsFromAjv } from '../diagnostics/problems.js';
import { Reporter } from '../diagnostics/reporter.js';
import { type ParsedJson, parseJsonWithPositions } from '../json/parse-with-positions.js';
import { applyGatewayEnv } from './env-overrides.js';
import { checkExtraConfig } from './extra-config.js';
import { UNIMPLEMENTED_KEYS } from './krakend-features.js';
import { lintGateway } from './lint.js';
import { checkRules } from './rules.js';
import { GATEWAY_DEFAULTS, type GatewayFile, GatewaySchema } from './schema.js';

const checkSchema = ajv.compile(GatewaySchema);

export interface LoadedGatewayConfig {
  /** The file with KrakenD's root defaults applied (port, timeout, cache_ttl, output_encoding). */
  config: GatewayFile;
  /** Everything worth a look that does not stop the file from loading. */
  warnings: Diagnostic[];
  file?: string;
}

export interface ValidateGatewayOptions {
  /** The file name diagnostics refer to. */
  file?: string;
  /** The file's text, for line:column in diagnostics (parsed again only for positions). */
  source?: string;
  /** Also warn about questionable but valid things (docs/config.md lists them). */
  lint?: boolean;
  /** SWITCHYARD_<KEY> variables in here override root scalars. Not read unless given. */
  env?: NodeJS.ProcessEnv;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const levelOf = (pointer: string): keyof typeof UNIMPLEMENTED_KEYS | undefined => {
  if (/^\/[^/]+$/.test(pointer)) return 'root';
  if (/^\/endpoints\/\d+\/[^/]+$/.test(pointer)) return 'endpoint';
  if (/^\/endpoints\/\d+\/backend\/\d+\/[^/]+$/.test(pointer)) return 'backend';
  return undefined;
};

/**
 * Every diagnostic for a gateway config (errors and warnings, sorted), and the value as checked (after
 * SWITCHYARD_* overrides). Does not throw for invalid configs; `validateGatewayConfig` does.
 */
export function diagnoseGatewayConfig(
  value: unknown,
  options: ValidateGatewayOptions & { parsed?: ParsedJson } = {},
): { config: unknown; diagnostics: Diagnostic[] } {
  const file = options.file ?? '<config>';
  const parsed =
    options.parsed ??
    (options.source !== undefined ? parseJsonWithPositions(options.source, file) : undefined);
  const report = new Reporter(file, parsed?.positions);
  const config = structuredClone(value);
  if (options.env) applyGatewayEnv(config, options.env, report);

  if (!checkSchema(config)) {
    for (const p of problemsFromAjv(checkSchema.errors)) {
      const level = p.kind === 'unknown-key' ? levelOf(p.pointer) : undefined;
      if (
        p.kind === 'unknown-key' &&
        level &&
        (UNIMPLEMENTED_KEYS[level] as readonly string[]).includes(p.key)
      ) {
        report.problem(p, 'warning', `${JSON.stringify(p.key)} is not implemented by Switchyard; ignored`);
      } else if (p.pointer === '/version' && p.kind === 'invalid') {
        report.problem({ ...p, hint: 'Switchyard reads KrakenD configuration files of version 3' });
      } else report.problem(p);
    }
  }
  if (isObject(config)) {
    checkExtraConfig(config.extra_config, '/extra_config', 'root', report);
    if (Array.isArray(config.endpoints)) {
      config.endpoints.forEach((e: unknown, i: number) => {
        if (!isObject(e)) return;
        checkExtraConfig(e.extra_config, `/endpoints/${i}/extra_config`, 'endpoint', report);
        if (!Array.isArray(e.backend)) return;
        e.backend.forEach((b: unknown, j: number) => {
          if (isObject(b))
            checkExtraConfig(b.extra_config, `/endpoints/${i}/backend/${j}/extra_config`, 'backend', report);
        });
      });
    }
  }
  checkRules(config, report);
  if (options.lint) lintGateway(config, parsed?.duplicates ?? [], report);
  return { config, diagnostics: sortDiagnostics(report.diagnostics) };
}

/**
 * Validates a KrakenD v3 gateway config (schema, the namespaces Switchyard implements, KrakenD's semantic
 * rules) and applies the root defaults. Throws SWY_CONFIG_INVALID listing every diagnostic (errors first,
 * then warnings) in `details.diagnostics`; returns the warnings otherwise.
 */
export function validateGatewayConfig(
  value: unknown,
  options: ValidateGatewayOptions & { parsed?: ParsedJson } = {},
): LoadedGatewayConfig {
  const { config, diagnostics } = diagnoseGatewayConfig(value, options);
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new SwitchyardError('SWY_CONFIG_INVALID', formatDiagnostics(diagnostics), {
      details: { diagnostics },
    });
  }
  const file = config as GatewayFile;
  const withDefaults: GatewayFile = {
    ...file,
    port: file.port ?? GATEWAY_DEFAULTS.port,
    timeout: file.timeout ?? GATEWAY_DEFAULTS.timeout,
    cache_ttl: file.cache_ttl ?? GATEWAY_DEFAULTS.cache_ttl,
    output_encoding: file.output_encoding ?? GATEWAY_DEFAULTS.output_encoding,
  };
  return {
    config: withDefaults,
    warnings: diagnostics,
    ...(options.file !== undefined && { file: options.file }),
  };
}
