import type { Where } from './ast.js';

/**
 * A template that cannot be parsed or rendered: names the template file, the line:column and the
 * failing expression, as Go's `template: name:line:col: executing … at <expr>: reason`.
 */
export class TemplateError extends Error {
  constructor(
    readonly where: Where,
    readonly reason: string,
    readonly executing = false,
  ) {
    const at = executing ? ` executing at <${where.source}>:` : '';
    super(`template: ${where.template}:${where.line}:${where.column}:${at} ${reason}`);
  }
}
