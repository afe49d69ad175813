import { type Located, positionOf } from '../json/parse-with-positions.js';
import type { Diagnostic } from './diagnostic.js';
import { type Problem, problemMessage } from './problems.js';

export interface ReportOptions {
  /** Point at the member's key rather than its value (unknown keys, misplaced namespaces). */
  at?: 'key' | 'value';
  hint?: string | undefined;
}

/** Collects the diagnostics of one document, locating each pointer in its text when positions are known. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  /** Pointers whose value came from an environment variable, and that variable's name. */
  readonly fromEnv = new Map<string, string>();

  constructor(
    readonly file: string,
    readonly positions: ReadonlyMap<string, Located> | undefined,
  ) {}

  add(severity: Diagnostic['severity'], pointer: string, message: string, options: ReportOptions = {}): void {
    const envVar = this.fromEnv.get(pointer);
    const pos = envVar ? { line: 0, column: 0 } : positionOf(this.positions, pointer, options.at);
    this.diagnostics.push({
      severity,
      file: envVar ? `env ${envVar}` : this.file,
      pointer,
      line: pos.line,
      column: pos.column,
      message,
      ...(options.hint && { hint: options.hint }),
    });
  }

  error(pointer: string, message: string, options?: ReportOptions): void {
    this.add('error', pointer, message, options);
  }

  warn(pointer: string, message: string, options?: ReportOptions): void {
    this.add('warning', pointer, message, options);
  }

  /**
   * Reports a schema problem. Unknown keys point at the key; a missing key at the object lacking it (its
   * pointer is not in the text, so the nearest ancestor's position is used); the rest at the value.
   */
  problem(p: Problem, severity: Diagnostic['severity'] = 'error', message = problemMessage(p)): void {
    this.add(severity, p.pointer, message, {
      at: p.kind === 'unknown-key' ? 'key' : 'value',
      hint: p.kind === 'missing' ? undefined : p.hint,
    });
  }

  /** Where `pointer` is in the text, as `line L` (for hints that refer to another place). */
  lineOf(pointer: string): string {
    const pos = positionOf(this.positions, pointer);
    return pos.line > 0 ? `line ${pos.line}` : pointer;
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }
}
