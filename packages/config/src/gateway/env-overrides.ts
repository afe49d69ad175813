import { didYouMean } from '../diagnostics/near-miss.js';
import type { Reporter } from '../diagnostics/reporter.js';
import { escapePointer } from '../json/parse-with-positions.js';
import { GatewaySchema } from './schema.js';

type SchemaLike = { type?: string; anyOf?: unknown[] };

// Root scalars that SWITCHYARD_<KEY> may override, as KRAKEND_<KEY> does for KrakenD (SWITCHYARD_PORT=9000).
// `version` and `$schema` describe the file itself and are not overridable.
const OVERRIDABLE = Object.entries(GatewaySchema.properties as Record<string, SchemaLike>).filter(
  ([key, s]) =>
    key !== 'version' &&
    key !== '$schema' &&
    (s.type === 'string' || s.type === 'integer' || s.type === 'number' || s.type === 'boolean' || s.anyOf),
);
const VAR_NAMES = new Map(OVERRIDABLE.map(([key, s]) => [`SWITCHYARD_${key.toUpperCase()}`, { key, s }]));

/**
 * Applies SWITCHYARD_<KEY> variables to the root of `config`, typed by the schema: integers and booleans are
 * parsed, strings taken as they are. The schema validates the result; a problem at an overridden pointer is
 * reported against the variable. A SWITCHYARD_ variable that looks like a typo of one gets a warning.
 */
export function applyGatewayEnv(config: unknown, env: NodeJS.ProcessEnv, report: Reporter): void {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return;
  const root = config as Record<string, unknown>;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('SWITCHYARD_') || raw === undefined || raw.trim() === '') continue;
    const target = VAR_NAMES.get(name);
    if (!target) {
      const hint = didYouMean(name, VAR_NAMES.keys());
      if (hint) report.warn('', `${name} is not a root setting and is ignored`, { hint });
      continue;
    }
    const pointer = `/${escapePointer(target.key)}`;
    report.fromEnv.set(pointer, name);
    const text = raw.trim();
    if (target.s.type === 'integer' || target.s.type === 'number') {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) {
        report.error(
          pointer,
          `expected ${target.s.type === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`,
        );
        continue;
      }
      root[target.key] = n;
    } else if (target.s.type === 'boolean') {
      if (text !== 'true' && text !== 'false') {
        report.error(pointer, `expected true or false, got ${JSON.stringify(text)}`);
        continue;
      }
      root[target.key] = text === 'true';
    } else {
      root[target.key] = text;
    }
  }
}
