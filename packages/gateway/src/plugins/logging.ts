import type { GatewayFile, LoggingNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';

export const LOGGING = 'telemetry/logging';

/** KrakenD's levels as pino's. */
const LEVELS: Record<string, string> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

export const loggingOf = (file: GatewayFile) => file.extra_config?.[LOGGING] as LoggingNamespace | undefined;

/**
 * `telemetry/logging` applied to the gateway's logger: `level` (DEBUG, INFO, WARNING, ERROR, CRITICAL →
 * pino's debug, info, warn, error, fatal) and `prefix` (put before every message) on a child of the
 * logger the gateway was given, so its destination and redaction stay. Lines always go to that logger's
 * destination (stdout unless the embedder chose another): `syslog`, `stdout: false` and a `format`
 * other than `default` are warned and ignored.
 */
export function applyLogging(logger: Logger, file: GatewayFile): Logger {
  const cfg = loggingOf(file);
  if (!cfg) return logger;
  const child = logger.child(
    {},
    {
      ...(cfg.level ? { level: LEVELS[cfg.level] } : {}),
      ...(cfg.prefix ? { msgPrefix: `${cfg.prefix} ` } : {}),
    },
  );
  const ignored: [string, string][] = [];
  if (cfg.syslog) ignored.push(['syslog', 'syslog is not implemented by Switchyard; logging to the output']);
  if (cfg.stdout === false) ignored.push(['stdout', 'Switchyard always logs to its output']);
  if (cfg.format && cfg.format !== 'default')
    ignored.push(['format', `format ${cfg.format} is not implemented by Switchyard; logging JSON lines`]);
  for (const [key, message] of ignored) child.warn({ setting: `${LOGGING}.${key}` }, message);
  return child;
}
