import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { sensitiveNames } from '../redaction/sensitive-names.js';
import { PRETTY_MISSING, prettyStream } from './pretty.js';

export type { Logger } from 'pino';

// fatal: KrakenD's CRITICAL (telemetry/logging), which the event worker's logger inherits.
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Header names whose values never reach a log line or an event (`telemetry/events.redact_headers` adds
 * more): credentials, session cookies and the API-key headers gateways commonly see. In events, names
 * that look like secrets are hidden too (see sensitiveNames).
 */
export const SENSITIVE_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
] as const;

const REDACT_PATHS = SENSITIVE_HEADERS.flatMap((h) => [
  `headers["${h}"]`,
  `req.headers["${h}"]`,
  `res.headers["${h}"]`,
  `*.headers["${h}"]`,
]);

export interface CreateLoggerOptions {
  name?: string;
  /** Defaults to LOG_LEVEL, then `info`. */
  level?: LogLevel | undefined;
  /** Where lines go; defaults to stdout. */
  destination?: DestinationStream;
  /**
   * Human-readable output through pino-pretty, when it is installed (else JSON, said once). Defaults to
   * on only when stdout is a TTY and no destination is given.
   */
  pretty?: boolean;
}

function resolveLevel(level: string | undefined): LogLevel {
  const value = (level ?? process.env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new SwitchyardError(
      'SWY_INVALID_ARGUMENT',
      `LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level ?? process.env.LOG_LEVEL)}`,
    );
  }
  return value as LogLevel;
}

let toldPrettyMissing = false;

/** A pino JSON logger with Switchyard's redaction; pretty-printed only on a TTY with pino-pretty installed. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const opts: LoggerOptions = {
    level: resolveLevel(options.level),
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: options.name ? { name: options.name } : {},
  };
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  if (options.destination) return pino(opts, options.destination);
  const pretty = usePretty ? prettyStream() : undefined;
  if (pretty) return pino(opts, pretty);
  const logger = pino(opts);
  if (usePretty && !toldPrettyMissing) {
    toldPrettyMissing = true;
    logger.info(PRETTY_MISSING);
  }
  return logger;
}

/** How a reshaped logger's lines look: the root options pino takes only when a logger is created. */
export type LineShape = Pick<LoggerOptions, 'base' | 'messageKey' | 'timestamp' | 'formatters' | 'msgPrefix'>;

/**
 * A logger writing where `logger` writes (and to `also`, when given), with Switchyard's redaction and a
 * line shape of its own: formats such as logstash rename pino's root keys, which a child cannot do.
 */
export function reshapeLogger(
  logger: Logger,
  level: string,
  shape: LineShape,
  also?: DestinationStream,
): Logger {
  const own = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  const to = own ?? pino.destination(1);
  const destination = also
    ? pino.multistream([
        { level: 'trace', stream: to },
        { level: 'trace', stream: also },
      ])
    : to;
  return pino({ ...shape, level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } }, destination);
}

export type HeaderRedactor = (
  headers: Record<string, string | string[] | undefined>,
) => Record<string, string | string[]>;

/**
 * A function that replaces the values of sensitive headers (and any named in `extra`, case-insensitively)
 * with `[REDACTED]`. The name set is built once, so the returned function is cheap enough for the request
 * path.
 */
export function headerRedactor(extra: readonly string[] = []): HeaderRedactor {
  const hide = sensitiveNames(SENSITIVE_HEADERS, extra);
  return (headers) => {
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      out[name] = hide.has(name) ? '[REDACTED]' : value;
    }
    return out;
  };
}

const redactSensitive = headerRedactor();

/** Replaces the values of sensitive headers (and any named in `extra`) with `[REDACTED]`. */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  extra: readonly string[] = [],
): Record<string, string | string[]> {
  return (extra.length === 0 ? redactSensitive : headerRedactor(extra))(headers);
}
