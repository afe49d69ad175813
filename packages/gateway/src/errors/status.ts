import { type ErrorCode, isSwitchyardError, SwitchyardError } from '@switchyard/shared';
import { hasStatusCode } from '../plugins/modules/failure.js';

/**
 * The statuses of `switchyard/errors` `transport_statuses` (an opt-in): refused/reset 502, timeout 504,
 * open breaker or backend rate limit 503, an undecodable body 502. Without it every failure that leaves
 * no data is a 500, as lura's single default error-to-status function answers it.
 */
export const FAILURE_STATUS = {
  SWY_BACKEND_REFUSED: 502,
  SWY_BACKEND_RESET: 502,
  SWY_BACKEND_TIMEOUT: 504,
  SWY_BACKEND_POOL_TIMEOUT: 504,
  SWY_BREAKER_OPEN: 503,
  SWY_BACKEND_RATE_LIMITED: 503,
  SWY_BACKEND_BAD_RESPONSE: 502,
  SWY_BACKEND_BODY_TOO_LARGE: 502,
  SWY_BACKEND_REQUEST_INVALID: 400,
  SWY_BACKEND_TOO_MANY_REDIRECTS: 502,
  SWY_BACKEND_STATUS: 500,
  SWY_BROKER_UNAVAILABLE: 503,
  SWY_BROKER_REJECTED: 502,
} as const satisfies Partial<Record<ErrorCode, number>>;

export type BackendFailureCode = keyof typeof FAILURE_STATUS;

/** A backend failure, carrying its transport status from FAILURE_STATUS. */
export function backendError(
  code: BackendFailureCode,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): SwitchyardError {
  return new SwitchyardError(code, message, { status: FAILURE_STATUS[code], details, cause });
}

/**
 * A backend answered with a status KrakenD treats as an error (not 200/201). By default its text is
 * lura's `invalid status code 404 [GET /users/{{.Id}}]: http://host/users/1`; with `return_error_code`
 * (`forward`) the error is the backend's body, carries the backend's status and its content type, as
 * lura's HTTPResponseError does.
 */
export class BackendStatusError extends SwitchyardError {
  constructor(
    readonly backendStatus: number,
    readonly body: string,
    readonly contentType: string,
    readonly forward: boolean,
    prefix: string,
    url: string,
  ) {
    super('SWY_BACKEND_STATUS', forward ? body : `invalid status code ${backendStatus} ${prefix} ${url}`, {
      status: forward ? backendStatus : FAILURE_STATUS.SWY_BACKEND_STATUS,
      details: { backend_status: backendStatus, url },
    });
  }
}

/**
 * A failure KrakenD answers with its own status whatever the error options (lura's `responseError`): a
 * request body refused by `validation/json-schema` is a 400, never a 500.
 */
export class ResponseError extends SwitchyardError {}

/**
 * A failure that names the status (and content type) its answer gets, as lura's responseError and
 * encodedResponseError do; e.g. a Lua `custom_error(msg, status, content_type)`. Without a status, 500.
 */
export class ClientStatusError extends ResponseError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly clientStatus: number | null,
    readonly contentType: string,
  ) {
    super(code, message, { status: clientStatus ?? 500 });
  }
}

/** Why backend calls stop when the client closed its connection before its answer was complete. */
export const CLIENT_GONE = new Error('the client closed the connection');

/**
 * Whether a failure says something about the backend (a circuit breaker counts it). A client that went
 * away, or a request the gateway could not build (the backend never saw it), says nothing.
 */
export function blamesBackend(err: Error): boolean {
  return err !== CLIENT_GONE && !(isSwitchyardError(err) && err.code === 'SWY_BACKEND_REQUEST_INVALID');
}

/** Several backends of a merge failed; lura joins their texts with newlines and answers 500. */
export class MergeError extends Error {
  constructor(readonly errors: Error[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'MergeError';
  }
}

/**
 * The status for a request that produced no data at all: the backend's own with `return_error_code`
 * (only for a lone backend: a merge's error carries none), a plugin error's own (lura's responseError),
 * otherwise 500, or with `transportStatuses`
 * the status of the failure's code.
 */
export function failureStatus(err: Error, transportStatuses: boolean): number {
  if (err instanceof ResponseError) return err.status ?? 500;
  if (err instanceof BackendStatusError) return err.forward ? err.backendStatus : 500;
  if (hasStatusCode(err)) return err.statusCode;
  if (transportStatuses && isSwitchyardError(err) && err.status !== undefined) return err.status;
  return 500;
}
