import { SwitchyardError } from '@switchyard/shared';
import { ajv } from '../diagnostics/ajv.js';
import { type Diagnostic, formatDiagnostics } from '../diagnostics/diagnostic.js';
import { type Problem, problemMessage, problemsFromAjv } from '../diagnostics/problems.js';
import { type Located, positionOf } from '../json/parse-with-positions.js';
import { EventProxySchema, type EventProxySettings } from './schema.js';

const check = ajv.compile<EventProxySettings>(EventProxySchema);

/**
 * Validates a copy of `value` (the caller's object is left alone) and fills the schema's defaults.
 * Returns the settings, or the problems found.
 */
export function checkEventProxySettings(
  value: unknown,
): { ok: true; settings: EventProxySettings } | { ok: false; problems: Problem[] } {
  const copy = structuredClone(value);
  if (check(copy)) return { ok: true, settings: copy };
  return { ok: false, problems: problemsFromAjv(check.errors) };
}

/** A problem as a diagnostic of `file`; with positions (from the file's text) it also carries line:column. */
export function problemDiagnostic(
  p: Problem,
  file: string,
  positions?: ReadonlyMap<string, Located>,
): Diagnostic {
  // Unknown keys point at the key, missing keys at the object that lacks them, the rest at the value.
  const pos =
    p.kind === 'missing'
      ? positionOf(positions, p.parent)
      : positionOf(positions, p.pointer, p.kind === 'unknown-key' ? 'key' : 'value');
  const hint = p.kind === 'missing' ? undefined : p.hint;
  return {
    severity: 'error',
    file,
    pointer: p.pointer,
    line: pos.line,
    column: pos.column,
    message: problemMessage(p),
    ...(hint && { hint }),
  };
}

/**
 * Validates event proxy settings given as a structured object (by a library user or read from a JSON
 * file) and returns them with every default filled. `source` names where they came from in messages.
 * Throws SWY_CONFIG_INVALID naming each offending pointer and what it expects.
 */
export function validateEventProxySettings(
  value: unknown,
  source = 'event proxy settings',
): EventProxySettings {
  const result = checkEventProxySettings(value);
  if (result.ok) return result.settings;
  const diagnostics = result.problems.map((p) => problemDiagnostic(p, source));
  throw new SwitchyardError('SWY_CONFIG_INVALID', formatDiagnostics(diagnostics), {
    details: { diagnostics },
  });
}
