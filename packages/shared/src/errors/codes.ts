/**
 * Every error code Switchyard raises, in one table: its HTTP status where one applies and whether
 * retrying the same operation can succeed. docs/errors.md documents each; a test keeps the two in step.
 */
export const errorCodes = {
  // shared
  SWY_INVALID_DURATION: { status: undefined, retryable: false },
  SWY_INVALID_SIZE: { status: undefined, retryable: false },
  SWY_INVALID_EVENT: { status: 400, retryable: false },
  SWY_INVALID_ARGUMENT: { status: undefined, retryable: false },
  // config
  SWY_CONFIG_INVALID: { status: undefined, retryable: false },
  SWY_CONFIG_READ: { status: undefined, retryable: false },
  SWY_CONFIG_PARSE: { status: undefined, retryable: false },
  SWY_ENV_INVALID: { status: undefined, retryable: false },
  SWY_ENV_MISSING: { status: undefined, retryable: false },
} as const satisfies Record<string, { status: number | undefined; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCodes;
