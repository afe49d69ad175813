export { createEnvelope, type EnvelopeOf } from './envelope/create.js';
export * from './envelope/schema.js';
export {
  type EnvelopeProblem,
  envelopeProblems,
  isEnvelope,
  MAX_PROBLEMS_PER_ITEM,
} from './envelope/validate.js';
export { type ErrorCode, errorCodes } from './errors/codes.js';
export {
  isSwitchyardError,
  SwitchyardError,
  type SwitchyardErrorOptions,
} from './errors/switchyard-error.js';
export { BEARER_TOKEN_PATTERN, BEARER_TOKEN_TEXT, bearerCheck } from './http/bearer.js';
export { closeUnreadBody } from './http/close-unread-body.js';
export { listenOrFail } from './http/listen.js';
export { readBody } from './http/read-body.js';
export { ulid, ulidTime } from './id/ulid.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type HeaderRedactor,
  headerRedactor,
  type LineShape,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  redactHeaders,
  reshapeLogger,
  SENSITIVE_HEADERS,
} from './logger/create-logger.js';
export {
  type QueryValues,
  REDACTED,
  redactQuery,
  redactUrl,
  redactUrlsIn,
  SENSITIVE_QUERY_PARAMS,
  sensitiveQueryNames,
} from './redaction/query.js';
export { type SensitiveNames, sensitiveNames } from './redaction/sensitive-names.js';
export { DURATION_PATTERN, formatDuration, isDuration, parseDuration } from './units/duration.js';
export {
  isLoopbackHost,
  type ListenAddress,
  type ListenAddressOptions,
  parseListenAddress,
} from './units/listen-address.js';
export { parseSize } from './units/size.js';
export { VERSION } from './version.js';
