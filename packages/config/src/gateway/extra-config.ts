import type { ValidateFunction } from 'ajv';
import { ajv } from '../diagnostics/ajv.js';
import { didYouMean } from '../diagnostics/near-miss.js';
import { problemsFromAjv } from '../diagnostics/problems.js';
import type { Reporter } from '../diagnostics/reporter.js';
import { escapePointer } from '../json/parse-with-positions.js';
import { setAt } from '../json/pointer.js';
import { KRAKEND_NAMESPACES_SUPPORT, NAMESPACE_ALIASES } from './compatibility.js';
import { type Loosened, loosen } from './loose.js';
import { NAMESPACES, type NamespaceLevel } from './namespaces.js';

/** Each namespace's checks by level (a namespace with one schema has the same check at every level). */
const checks: Record<string, Partial<Record<NamespaceLevel, ValidateFunction>>> = Object.fromEntries(
  Object.entries(NAMESPACES).map(([ns, { schema, levels, at }]) => {
    const check = ajv.compile(schema);
    return [ns, Object.fromEntries(levels.map((l) => [l, at?.[l] ? ajv.compile(at[l]) : check]))];
  }),
);
const IGNORED = /^[@$_#]/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ExtraConfigCheck {
  level: NamespaceLevel;
  report: Reporter;
  /** `run`: KrakenD's tolerance (see validate.ts); `lint`: every deviation from the schema is an error. */
  mode: 'run' | 'lint';
  /** Tells the caller that the endpoint owning this extra_config cannot be served faithfully, and why. */
  unserve: (reason: string) => void;
  /** A value read loosely (run mode). */
  loosened: (l: Loosened) => void;
}

/**
 * Checks one `extra_config` object: old namespace names are read as their new ones, as KrakenD does; each
 * namespace Switchyard implements is checked against its schema (and the level it belongs to); every other
 * namespace is a warning, never silently ignored, and one whose absence would change the answers leaves its
 * endpoint unserved.
 */
export function checkExtraConfig(extra: unknown, pointer: string, c: ExtraConfigCheck): void {
  if (!isObject(extra)) return; // the file schema already reported it
  for (const [old, name] of Object.entries(NAMESPACE_ALIASES)) {
    if (old in extra && !(name in extra)) {
      extra[name] = extra[old];
      delete extra[old];
      if (c.mode === 'lint')
        c.report.warn(`${pointer}/${escapePointer(name)}`, `${JSON.stringify(old)} is an old name`, {
          hint: `KrakenD reads it as ${JSON.stringify(name)}; write that`,
        });
    }
  }
  const { report, level } = c;
  for (const [ns, value] of Object.entries(extra)) {
    if (IGNORED.test(ns)) continue;
    const at = `${pointer}/${escapePointer(ns)}`;
    // Own keys only: a namespace named "toString" or "constructor" is unknown, not Object's.
    const known = Object.hasOwn(NAMESPACES, ns) ? NAMESPACES[ns] : undefined;
    const support = Object.hasOwn(KRAKEND_NAMESPACES_SUPPORT, ns)
      ? KRAKEND_NAMESPACES_SUPPORT[ns]
      : undefined;
    if (!known) {
      const hint = support ? undefined : didYouMean(ns, Object.keys(NAMESPACES));
      const unserved = level !== 'root' && support?.without === 'unserved';
      report.warn(at, `namespace ${JSON.stringify(ns)} is not implemented by Switchyard; ignored`, {
        at: 'key',
        hint,
      });
      if (unserved) c.unserve(`namespace ${JSON.stringify(ns)} is not implemented by Switchyard`);
      continue;
    }
    if (!known.levels.includes(level)) {
      report.warn(at, `namespace ${JSON.stringify(ns)} has no effect at the ${level} level; ignored`, {
        at: 'key',
        hint: `it belongs in the extra_config of ${known.levels.map((l) => (l === 'root' ? 'the root' : `${l === 'endpoint' ? 'an' : 'a'} ${l}`)).join(' or ')}`,
      });
      continue;
    }
    const check = checks[ns]?.[level] as ValidateFunction;
    const schema = known.at?.[level] ?? known.schema;
    if (c.mode === 'lint') {
      if (!check(value)) for (const p of problemsFromAjv(check.errors, at)) report.problem(p);
      continue;
    }
    extra[ns] = loosen(schema, value, at, c.loosened);
    if (check(extra[ns])) continue;
    // What KrakenD's components ignore (unknown keys) is dropped with a warning; a setting that cannot be
    // read drops the namespace at the root, and leaves an endpoint or backend unserved rather than served
    // without its rate limit, authentication or breaker.
    let broken = false;
    for (const p of problemsFromAjv(check.errors, at)) {
      if (p.kind === 'unknown-key') {
        report.problem(p, 'warning', 'unknown key; ignored');
        setAt(extra, `/${escapePointer(ns)}${p.pointer.slice(at.length)}`, undefined);
      } else {
        report.problem(p, 'warning');
        broken = true;
      }
    }
    if (broken) {
      if (level === 'root') {
        delete extra[ns];
        report.warn(at, `namespace ${JSON.stringify(ns)} ignored: its settings cannot be read`, {
          at: 'key',
        });
      } else c.unserve(`the settings of ${JSON.stringify(ns)} cannot be read`);
    } else if (!check(extra[ns])) c.unserve(`the settings of ${JSON.stringify(ns)} cannot be read`);
  }
}
