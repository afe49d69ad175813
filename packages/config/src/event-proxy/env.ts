import { parseDuration, parseSize, SwitchyardError } from '@switchyard/shared';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatDiagnostics } from '../diagnostics/diagnostic.js';
import { choicesOf, type Problem } from '../diagnostics/problems.js';
import { schemaAt } from '../diagnostics/schema-at.js';
import type { Located } from '../json/parse-with-positions.js';
import { type EnvVar, EVENT_PROXY_ENV } from './env-table.js';
import { EventProxySchema, type EventProxySettings } from './schema.js';
import { checkEventProxySettings, problemDiagnostic } from './validate.js';

/** A value the variable's parser refused; `message` replaces the generic "expected …, got …" when set. */
class BadValue extends Error {}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function parseHeaders(raw: string): Record<string, string> {
  // A JSON object for values that contain ";", otherwise Name=value pairs split on ";" or newlines
  // (the first "=" separates name from value, so base64 values with "=" are fine).
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BadValue();
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadValue();
    for (const [k, v] of Object.entries(parsed))
      if (!TOKEN.test(k) || typeof v !== 'string') throw new BadValue();
    return parsed as Record<string, string>;
  }
  const out: Record<string, string> = {};
  for (const part of raw.split(/[;\n]/)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    if (eq < 0 || !TOKEN.test(name)) throw new BadValue();
    out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

function parseValue(v: EnvVar, raw: string): unknown {
  const text = v.kind === 'secret' ? raw : raw.trim();
  switch (v.kind) {
    case 'string':
    case 'secret':
    case 'url':
      return text;
    case 'enum':
      return text.toLowerCase();
    case 'method':
      return text.toUpperCase();
    case 'int':
      if (!/^-?\d+$/.test(text)) throw new BadValue();
      return Number(text);
    case 'bool': {
      const t = text.toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new BadValue();
    }
    case 'duration':
      if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
      try {
        return Math.round(parseDuration(text));
      } catch {
        throw new BadValue();
      }
    case 'size':
      try {
        return parseSize(text);
      } catch {
        throw new BadValue();
      }
    case 'brokers': {
      const list = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.find((b) => !HOST_PORT.test(b));
      if (bad !== undefined) throw new BadValue(`${JSON.stringify(bad)} is not host:port`);
      return list;
    }
    case 'event-types': {
      const known = choicesOf(schemaAt(EventProxySchema, `${v.pointer}/0`)) ?? [];
      const list = text
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const bad = list.find((t) => !known.includes(t));
      if (bad !== undefined) throw new BadValue(`unknown event type ${JSON.stringify(bad)}`);
      return list;
    }
    case 'headers':
      return parseHeaders(text);
    case 'acks': {
      const t = text.toLowerCase();
      if (t === 'all' || t === '-1') return -1;
      if (t === '0' || t === '1') return Number(t);
      throw new BadValue();
    }
    case 'fsync': {
      const t = text.toLowerCase();
      if (t === 'batch' || TRUE.has(t)) return 'batch';
      if (t === 'never' || FALSE.has(t)) return 'never';
      throw new BadValue();
    }
  }
}

type Json = Record<string, unknown>;

function setAt(root: Json, pointer: string, value: unknown): void {
  const segs = pointer.split('/').slice(1);
  let node = root;
  for (const seg of segs.slice(0, -1)) {
    const next = node[seg];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[seg] = {};
    node = node[seg] as Json;
  }
  node[segs[segs.length - 1] as string] = value;
}

/** The variable whose pointer is `pointer` or its nearest ancestor (e.g. /filter/types/2 → EVENT_FILTER_TYPES). */
function varFor(pointer: string): EnvVar | undefined {
  let best: EnvVar | undefined;
  for (const v of EVENT_PROXY_ENV) {
    if (
      (pointer === v.pointer || pointer.startsWith(`${v.pointer}/`)) &&
      v.pointer.length > (best?.pointer.length ?? -1)
    ) {
      best = v;
    }
  }
  return best;
}

const envValue = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw; // set but empty counts as unset
};

/** Where `base` came from, when it is a file: diagnostics for its values then carry line:column. */
export interface BaseSource {
  file: string;
  positions?: ReadonlyMap<string, Located>;
}

interface EnvIssue {
  code: 'SWY_ENV_MISSING' | 'SWY_ENV_INVALID';
  message: string;
}

/**
 * Applies the environment on top of `base` (a structured settings object, e.g. from a file) and validates
 * the result with the settings schema. Problems caused by the environment are one-line messages naming the
 * variable (SWY_ENV_MISSING / SWY_ENV_INVALID); problems of the base are diagnostics (SWY_CONFIG_INVALID).
 */
export function resolveEventProxySettings(
  env: NodeJS.ProcessEnv,
  base: unknown,
  source?: BaseSource,
): EventProxySettings {
  const settings: Json =
    typeof base === 'object' && base !== null && !Array.isArray(base) ? structuredClone(base as Json) : {};
  const issues: EnvIssue[] = [];
  const fromEnv = new Set<string>(); // pointers set by a variable
  const refused = new Set<string>(); // variables whose text could not be parsed

  const envType = envValue(env, 'TARGET_TYPE')?.trim().toLowerCase();
  const baseTarget = settings.target as Json | undefined;
  const type = envType ?? (typeof baseTarget?.type === 'string' ? baseTarget.type : undefined);

  for (const v of EVENT_PROXY_ENV) {
    const raw = envValue(env, v.name);
    if (raw === undefined || (v.target !== undefined && v.target !== type)) continue;
    try {
      setAt(settings, v.pointer, parseValue(v, raw));
      fromEnv.add(v.pointer);
    } catch (err) {
      const shown = v.kind === 'secret' ? '(hidden)' : JSON.stringify(raw.trim());
      const message =
        err instanceof BadValue && err.message
          ? `${v.name}: ${err.message}, expected ${v.expect}`
          : `${v.name}: expected ${v.expect}, got ${shown}`;
      issues.push({ code: 'SWY_ENV_INVALID', message });
      refused.add(v.name);
    }
  }
  if (typeof settings.target !== 'object' || settings.target === null) settings.target = {};
  // TARGET_TYPE from the environment makes its group required, so a missing variable is named exactly.
  if (envType !== undefined && EVENT_PROXY_ENV.some((v) => v.target === envType)) {
    const target = settings.target as Json;
    if (typeof target[envType] !== 'object' || target[envType] === null) target[envType] = {};
  }

  const result = checkEventProxySettings(settings);
  const diagnostics: Diagnostic[] = [];
  if (!result.ok) {
    for (const p of result.problems) {
      const v = varFor(p.pointer);
      if (v && refused.has(v.name)) continue; // already reported
      const inFile = source?.positions?.has(p.kind === 'missing' ? p.parent : p.pointer) ?? false;
      const byEnv =
        v !== undefined &&
        (fromEnv.has(v.pointer) ||
          (p.kind === 'missing' && !inFile && (source === undefined || envType !== undefined)));
      if (v && byEnv && p.kind !== 'unknown-key') issues.push(envIssue(v, p, env));
      else {
        const d = problemDiagnostic(p, source?.file ?? 'event proxy settings', source?.positions);
        if (v && p.kind === 'missing') d.hint = `or set ${v.name}`;
        diagnostics.push(d);
      }
    }
  }
  if (diagnostics.length > 0) {
    const lines = [formatDiagnostics(diagnostics), ...issues.map((i) => i.message)];
    throw new SwitchyardError('SWY_CONFIG_INVALID', lines.join('\n'), {
      details: { diagnostics, env: issues },
    });
  }
  if (issues.length > 0) {
    throw new SwitchyardError((issues[0] as EnvIssue).code, issues.map((i) => i.message).join('; '), {
      details: { env: issues },
    });
  }
  return (result as { settings: EventProxySettings }).settings;
}

function envIssue(v: EnvVar, p: Problem, env: NodeJS.ProcessEnv): EnvIssue {
  if (p.kind === 'missing') {
    return { code: 'SWY_ENV_MISSING', message: `${v.name} is required${requiredWhen(v, env)} (${v.expect})` };
  }
  const raw = env[v.name] ?? '';
  const shown = v.kind === 'secret' ? '(hidden)' : JSON.stringify(raw.trim());
  const hint = p.kind === 'invalid' && p.hint ? ` (${p.hint})` : '';
  return { code: 'SWY_ENV_INVALID', message: `${v.name}: expected ${v.expect}, got ${shown}${hint}` };
}

/** Why a variable is required: its target is chosen, or a sibling of its group is set. */
function requiredWhen(v: EnvVar, env: NodeJS.ProcessEnv): string {
  const groupOf = (x: EnvVar) => x.pointer.slice(0, x.pointer.lastIndexOf('/'));
  const sibling = EVENT_PROXY_ENV.find(
    (x) => x !== v && groupOf(x) === groupOf(v) && envValue(env, x.name) !== undefined,
  );
  if (sibling && !/^\/target\/[^/]+$/.test(groupOf(v))) return ` when ${sibling.name} is set`;
  if (v.target) return ` when TARGET_TYPE=${v.target}`;
  return '';
}

/**
 * The event proxy settings from environment variables (DESIGN.md's names), on top of `base` (structured
 * settings, e.g. from a file), validated by the settings schema with defaults filled.
 */
export function eventProxySettingsFromEnv(env: NodeJS.ProcessEnv, base?: unknown): EventProxySettings {
  return resolveEventProxySettings(env, base);
}
