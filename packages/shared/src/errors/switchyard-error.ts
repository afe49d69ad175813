import { type ErrorCode, errorCodes } from './codes.js';

export interface SwitchyardErrorOptions {
  cause?: unknown;
  /** Overrides the code's default HTTP status. */
  status?: number;
  /** Overrides the code's default retryable flag (e.g. a 4xx from a sink is permanent, a 5xx is not). */
  retryable?: boolean;
  /** Structured detail for logs and API answers (never secrets). */
  details?: Record<string, unknown>;
}

/**
 * The mark every SwitchyardError carries. A registered symbol, so an error raised by another copy of
 * @switchyard/shared (two installed versions, a bundled CLI) is still recognised, where `instanceof` is not.
 */
const MARK = Symbol.for('switchyard.error');

/** The one base class for Switchyard's errors: a stable code, an HTTP status where it applies, a retryable flag. */
export class SwitchyardError extends Error {
  readonly [MARK] = true;
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      ...this.details,
    };
  }
}

/** Whether `err` is a SwitchyardError (of `code`, if given), from this copy of the package or another. */
export function isSwitchyardError(err: unknown, code?: ErrorCode): err is SwitchyardError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { [MARK]?: unknown })[MARK] === true &&
    (code === undefined || (err as SwitchyardError).code === code)
  );
}
