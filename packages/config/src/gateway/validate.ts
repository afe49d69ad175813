import { SwitchyardError } from '@switchyard/shared';
import { ajv } from '../diagnostics/ajv.js';
import { type Diagnostic, formatDiagnostics, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { type Problem, problemMessage, problemsFromAjv, show } from '../diagnostics/problems.js';
import { Reporter } from '../diagnostics/reporter.js';
import { type ParsedJson, parseJsonWithPositions } from '../json/parse-with-positions.js';
import { getAt, removeAll, setAt } from '../json/pointer.js';
import { RENAMED_IN_V3, UNIMPLEMENTED_KEYS } from './compatibility.js';
import { applyGatewayEnv } from './env-overrides.js';
import { checkExtraConfig } from './extra-config.js';
import { lintGateway } from './lint.js';
import { type Loosened, loosen } from './loose.js';
import { checkRules } from './rules.js';
import { type Endpoint, GATEWAY_DEFAULTS, type GatewayFile, GatewaySchema } from './schema.js';

const checkSchema = ajv.compile(GatewaySchema);

export interface LoadedGatewayConfig {
  /**
   * The file with KrakenD's root defaults applied (port, timeout, cache_ttl, output_encoding), values read
   * as KrakenD reads them, what KrakenD ignores left out, and `unserved` set on the endpoints Switchyard
   * cannot serve faithfully.
   */
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
  /**
   * `check --lint`: the schema strictly (unknown keys, loosely typed values and values outside the schema
   * are errors) and warnings about questionable things (docs/config.md lists them). Without it, the file is
   * read as KrakenD's `run` reads it: only what KrakenD refuses is an error, the rest is a warning.
   */
  lint?: boolean;
  /** SWITCHYARD_<KEY> variables in here override root scalars. Not read unless given. */
  env?: NodeJS.ProcessEnv;
  /**
   * Also the router's rule [true]: two endpoints on one method and path (gin refuses the second when
   * KrakenD registers its routes, so `run` and `check -t` refuse the file, plain `check` does not).
   */
  routes?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const levelOf = (pointer: string): keyof typeof UNIMPLEMENTED_KEYS | undefined => {
  if (/^\/[^/]+$/.test(pointer)) return 'root';
  if (/^\/endpoints\/\d+\/[^/]+$/.test(pointer)) return 'endpoint';
  if (/^\/endpoints\/\d+\/backend\/\d+\/[^/]+$/.test(pointer)) return 'backend';
  return undefined;
};
const endpointOf = (pointer: string): number | undefined => {
  const m = /^\/endpoints\/(\d+)/.exec(pointer);
  return m ? Number(m[1]) : undefined;
};
const lastKey = (pointer: string) => pointer.slice(pointer.lastIndexOf('/') + 1);

/** An unknown key KrakenD 2 knew under another name says so. */
const withV3Name = (p: Extract<Problem, { kind: 'unknown-key' }>): Problem => {
  const now = Object.hasOwn(RENAMED_IN_V3, p.key) ? RENAMED_IN_V3[p.key] : undefined;
  return now && !p.hint ? { ...p, hint: `KrakenD v3 calls it ${JSON.stringify(now)}` } : p;
};

/** Where KrakenD's registries fall back to JSON for a name they do not know. */
const FALLS_BACK_TO_JSON = new Set(['encoding', 'output_encoding']);

/**
 * A schema problem in `run` mode: refused only where KrakenD's decoder or parser refuses (a value it
 * cannot decode into its type, a malformed duration, no version, no backends); otherwise a warning, the
 * value replaced by what KrakenD uses instead.
 */
function tolerate(
  p: Problem,
  config: unknown,
  report: Reporter,
  unserve: (index: number, reason: string) => void,
  drop: (pointer: string) => void,
): void {
  const key = lastKey(p.pointer);
  if (p.kind === 'unknown-key') {
    const level = levelOf(p.pointer);
    if (level && (UNIMPLEMENTED_KEYS[level] as readonly string[]).includes(p.key))
      report.problem(
        { ...p, hint: undefined },
        'warning',
        `${JSON.stringify(p.key)} is not implemented by Switchyard; ignored`,
      );
    else report.problem(withV3Name(p), 'warning', 'unknown key; ignored');
    setAt(config, p.pointer, undefined);
    // A misspelt required key is reported once, as this key: lura reads the missing one as "/".
    const parent = getAt(config, p.pointer.slice(0, p.pointer.lastIndexOf('/')));
    if (isObject(parent) && (p.suggestion === 'url_pattern' || p.suggestion === 'endpoint'))
      parent[p.suggestion] ??= '/';
    return;
  }
  if (p.kind === 'missing') {
    if (key === 'url_pattern' || key === 'endpoint') {
      report.problem(p, 'warning', `${problemMessage(p)}; read as "/", as lura does`);
      const parent = getAt(config, p.parent);
      if (isObject(parent)) parent[key] = '/';
    } else report.problem(p);
    return;
  }
  if (p.pointer === '/version') {
    report.problem({ ...p, hint: 'Switchyard reads KrakenD configuration files of version 3' });
    return;
  }
  const refused = p.keyword === 'type' || p.keyword === 'pattern';
  if (refused) {
    report.problem(p);
    return;
  }
  if (p.keyword === 'anyOf' || p.keyword === 'const' || p.keyword === 'enum') {
    if (FALLS_BACK_TO_JSON.has(key)) {
      report.problem(p, 'warning', `unknown ${key.replace('_', ' ')} ${show(p.got)}; read as json`);
      setAt(config, p.pointer, 'json');
      return;
    }
    const index = endpointOf(p.pointer);
    if (key === 'method' && index !== undefined) {
      report.problem(p, 'warning');
      unserve(index, `the method ${show(p.got)} is not one an endpoint can have`);
      return;
    }
  }
  report.problem(p, 'warning', `${problemMessage(p)}; ignored`);
  drop(p.pointer);
}

const readAs = (l: Loosened) => {
  if (l.to === undefined) return 'absent (the default applies)';
  if (Array.isArray(l.to) && typeof l.from === 'object')
    return l.to.length === 0 ? 'an empty list' : 'a list of one';
  return JSON.stringify(l.to);
};
const loosenedMessage = (l: Loosened) =>
  l.kind === 'key'
    ? `key ${JSON.stringify(l.from)} read as ${JSON.stringify(l.to)}, as KrakenD does`
    : `${show(l.from)} read as ${readAs(l)}, as KrakenD's decoder does`;

/**
 * Every diagnostic for a gateway config (errors and warnings, sorted), and the value as checked (after
 * SWITCHYARD_* overrides, and in run mode read as KrakenD reads it). Does not throw for invalid configs;
 * `validateGatewayConfig` does.
 */
export function diagnoseGatewayConfig(
  value: unknown,
  options: ValidateGatewayOptions & { parsed?: ParsedJson } = {},
): { config: unknown; diagnostics: Diagnostic[] } {
  const file = options.file ?? '<config>';
  const mode = options.lint ? 'lint' : 'run';
  const parsed =
    options.parsed ??
    (options.source !== undefined ? parseJsonWithPositions(options.source, file) : undefined);
  const report = new Reporter(file, parsed?.positions);
  let config = structuredClone(value);
  if (options.env) applyGatewayEnv(config, options.env, report);

  const unserved = new Map<number, string[]>();
  const unserve = (index: number, reason: string) =>
    unserved.set(index, [...(unserved.get(index) ?? []), reason]);
  const loosened = (l: Loosened) =>
    report.warn(l.pointer, loosenedMessage(l), { at: l.kind === 'key' ? 'key' : 'value' });

  if (mode === 'run') config = loosen(GatewaySchema, config, '', loosened);
  if (!checkSchema(config)) {
    const dropped: string[] = [];
    for (const p of problemsFromAjv(checkSchema.errors)) {
      if (mode === 'run') tolerate(p, config, report, unserve, (pointer) => dropped.push(pointer));
      else {
        const level = p.kind === 'unknown-key' ? levelOf(p.pointer) : undefined;
        if (
          p.kind === 'unknown-key' &&
          level &&
          (UNIMPLEMENTED_KEYS[level] as readonly string[]).includes(p.key)
        )
          report.problem(
            { ...p, hint: undefined },
            'warning',
            `${JSON.stringify(p.key)} is not implemented by Switchyard; ignored`,
          );
        else if (p.pointer === '/version' && p.kind === 'invalid')
          report.problem({ ...p, hint: 'Switchyard reads KrakenD configuration files of version 3' });
        else report.problem(p.kind === 'unknown-key' ? withV3Name(p) : p);
      }
    }
    removeAll(config, dropped);
  }
  if (isObject(config)) {
    const common = { report, mode, loosened } as const;
    checkExtraConfig(config.extra_config, '/extra_config', { ...common, level: 'root', unserve: () => {} });
    list(config.endpoints).forEach((e, i) => {
      if (!isObject(e)) return;
      const onEndpoint = { ...common, unserve: (reason: string) => unserve(i, reason) };
      checkExtraConfig(e.extra_config, `/endpoints/${i}/extra_config`, { ...onEndpoint, level: 'endpoint' });
      list(e.backend).forEach((b, j) => {
        if (isObject(b))
          checkExtraConfig(b.extra_config, `/endpoints/${i}/backend/${j}/extra_config`, {
            ...onEndpoint,
            level: 'backend',
          });
      });
    });
  }
  checkRules(config, report, { mode, unserve, routes: options.routes !== false });
  if (options.lint) lintGateway(config, parsed?.duplicates ?? [], report);

  if (isObject(config) && unserved.size > 0 && !report.hasErrors) {
    const endpoints = list(config.endpoints);
    for (const [i, reasons] of unserved) {
      const e = endpoints[i] as Endpoint;
      const why = [...new Set(reasons)].join('; ');
      e.unserved = why;
      report.warn(
        `/endpoints/${i}`,
        `${e.method ?? GATEWAY_DEFAULTS.method} ${e.endpoint} is not served (${why}); it answers 500, as KrakenD answers an endpoint it cannot build`,
      );
    }
  }
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
