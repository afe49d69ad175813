/** One problem found in a configuration, located precisely enough for an editor to jump to it. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** The file (or a label such as `<input>` for values that did not come from a file). */
  file: string;
  /** JSON pointer of the offending value, e.g. `/endpoints/0/backend/0/url_pattern`. */
  pointer: string;
  /** 1-based; 0 when the value did not come from text. */
  line: number;
  column: number;
  /** What is wrong and what was expected. */
  message: string;
  /** A suggestion, e.g. `did you mean "url_pattern"?`. */
  hint?: string;
}

/** `file:line:column severity pointer: message; hint` — the shape compilers use, so editors link it. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const hint = d.hint ? `; ${d.hint}` : '';
  return `${where} ${d.severity} ${d.pointer || '/'}: ${d.message}${hint}`;
}

export function formatDiagnostics(list: readonly Diagnostic[]): string {
  return list.map(formatDiagnostic).join('\n');
}

/** Errors first, then by position in the file, so the output reads top to bottom. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic) => (d.severity === 'error' ? 0 : 1);
  return list.sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.column - b.column);
}
