import { type ErrorCode, isSwitchyardError, SwitchyardError } from '@switchyard/shared';

/**
 * The one table from a backend failure to the status the client gets when no data could be built.
 * Transport failures keep their meaning (refused/reset 502, timeout 504, open breaker or backend rate limit 503); a backend
 * answering with a status other than 200/201 gives 500, as KrakenD answers it.
 */
export const FAILURE_STATUS = {
  SWY_BACKEND_REFUSED: 502,
  SWY_BACKEND_RESET: 502,
  SWY_BACKEND_TIMEOUT: 504,
  SWY_BREAKER_OPEN: 503,
  SWY_BACKEND_RATE_LIMITED: 503,
  SWY_BACKEND_BAD_RESPONSE: 502,
  SWY_BACKEND_STATUS: 500,
} as const satisfies Partial<Record<ErrorCode, number>>;

export type BackendFailureCode = keyof typeof FAILURE_STATUS;

/** A backend failure, with the client status from FAILURE_STATUS. */
export function backendError(
  code: BackendFailureCode,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): SwitchyardError {
  return new SwitchyardError(code, message, { status: FAILURE_STATUS[code], details, cause });
}

/**
 * A backend answered with a status KrakenD treats as an error. With `return_error_code` the client gets
 * the backend's status (and, with `return_error_msg`, its body and content type).
 */
export class BackendStatusError extends SwitchyardError {
  constructor(
    readonly backendStatus: number,
    readonly body: string,
    readonly contentType: string,
    readonly forward: boolean,
    url: string,
  ) {
    super('SWY_BACKEND_STATUS', forward ? body : `invalid status code ${backendStatus} from ${url}`, {
      status: forward ? backendStatus : FAILURE_STATUS.SWY_BACKEND_STATUS,
      details: { backend_status: backendStatus, url },
    });
  }
}

/** Why backend calls stop when the client closed its connection before its answer was complete. */
export const CLIENT_GONE = new Error('the client closed the connection');

/** Several backends of a merge failed; KrakenD answers 500 when none produced data. */
export class MergeError extends Error {
  constructor(readonly errors: Error[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'MergeError';
  }
}

/** The status for a request that produced no data at all. */
export function failureStatus(err: Error): number {
  if (isSwitchyardError(err) && err.status !== undefined) return err.status;
  return 500;
}
