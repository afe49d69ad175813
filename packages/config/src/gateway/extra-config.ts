import type { ValidateFunction } from 'ajv';
import { ajv } from '../diagnostics/ajv.js';
import { didYouMean } from '../diagnostics/near-miss.js';
import { problemsFromAjv } from '../diagnostics/problems.js';
import type { Reporter } from '../diagnostics/reporter.js';
import { escapePointer } from '../json/parse-with-positions.js';
import { KRAKEND_NAMESPACES, PENDING_NAMESPACES } from './krakend-features.js';
import { NAMESPACES, type NamespaceLevel } from './namespaces.js';

const checks: Record<string, ValidateFunction> = Object.fromEntries(
  Object.entries(NAMESPACES).map(([ns, { schema }]) => [ns, ajv.compile(schema)]),
);
const KRAKEND = new Set(KRAKEND_NAMESPACES);
const PENDING = new Set(PENDING_NAMESPACES);
const IGNORED = /^[@$_#]/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks one `extra_config` object: each namespace Switchyard implements against its schema (and the
 * level it belongs to); every other namespace is a warning, never silently ignored.
 */
export function checkExtraConfig(
  extra: unknown,
  pointer: string,
  level: NamespaceLevel,
  report: Reporter,
): void {
  if (!isObject(extra)) return; // the file schema already reported it
  for (const [ns, value] of Object.entries(extra)) {
    if (IGNORED.test(ns)) continue;
    const at = `${pointer}/${escapePointer(ns)}`;
    // Own keys only: a namespace named "toString" or "constructor" is unknown, not Object's.
    const known = Object.hasOwn(NAMESPACES, ns) ? NAMESPACES[ns] : undefined;
    if (!known) {
      const hint = KRAKEND.has(ns) ? undefined : didYouMean(ns, Object.keys(NAMESPACES));
      report.warn(at, `namespace ${JSON.stringify(ns)} is not implemented by Switchyard; ignored`, {
        at: 'key',
        hint,
      });
      continue;
    }
    if (!known.levels.includes(level)) {
      report.warn(at, `namespace ${JSON.stringify(ns)} has no effect at the ${level} level; ignored`, {
        at: 'key',
        hint: `it belongs in the extra_config of ${known.levels.map((l) => (l === 'root' ? 'the root' : `${l === 'endpoint' ? 'an' : 'a'} ${l}`)).join(' or ')}`,
      });
      continue;
    }
    const check = checks[ns] as ValidateFunction;
    if (!check(value)) for (const p of problemsFromAjv(check.errors, at)) report.problem(p);
    else if (PENDING.has(ns))
      report.warn(at, `namespace ${JSON.stringify(ns)} is not implemented by Switchyard; ignored`, {
        at: 'key',
      });
  }
}
