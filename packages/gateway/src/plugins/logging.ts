import type { GatewayFile, GelfNamespace, LoggingNamespace } from '@switchyard/config';
import { type Logger, reshapeLogger } from '@switchyard/shared';
import { GELF, gelfStream } from './gelf.js';
import { LOGSTASH, logstashShape } from './logstash.js';

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
const gelfOf = (file: GatewayFile) => file.extra_config?.[GELF] as GelfNamespace | undefined;

/** The root namespaces that shape the gateway's log, compared on reload (they change only on restart). */
export const logShape = (file: GatewayFile) => ({
  logging: loggingOf(file),
  gelf: gelfOf(file),
  logstash: file.extra_config?.[LOGSTASH],
});

/**
 * `telemetry/logging` applied to the gateway's logger: `level` (DEBUG, INFO, WARNING, ERROR, CRITICAL →
 * pino's debug, info, warn, error, fatal) and `prefix` (put before every message) on a child of the
 * logger the gateway was given, so its destination and redaction stay. Lines always go to that logger's
 * destination (stdout unless the embedder chose another): `syslog`, `stdout: false` and a `format`
 * other than `default` or `logstash` are warned and ignored.
 *
 * `telemetry/logstash` (or `format: logstash`), with `telemetry/logging` as KrakenD needs, writes
 * krakend-logstash's JSON lines instead, the prefix being their `module`; `telemetry/gelf` also sends
 * every line to a GELF input. Both need a logger of their own on the same destination.
 */
export function applyLogging(logger: Logger, file: GatewayFile): Logger {
  const cfg = loggingOf(file);
  const gelf = gelfOf(file);
  const asked = file.extra_config?.[LOGSTASH] !== undefined;
  const logstash = cfg !== undefined && (asked || cfg.format === 'logstash');
  if (!cfg && !gelf && !asked) return logger;
  const level = (cfg?.level && LEVELS[cfg.level]) || logger.level;
  const child =
    logstash || gelf
      ? reshapeLogger(
          logger,
          level,
          logstash ? logstashShape(cfg?.prefix) : cfg?.prefix ? { msgPrefix: `${cfg.prefix} ` } : {},
          gelf && gelfStream(gelf),
        )
      : logger.child({}, { level, ...(cfg?.prefix ? { msgPrefix: `${cfg.prefix} ` } : {}) });
  const ignored: [string, string][] = [];
  if (cfg?.syslog) ignored.push(['syslog', 'syslog is not implemented by Switchyard; logging to the output']);
  if (cfg?.stdout === false) ignored.push(['stdout', 'Switchyard always logs to its output']);
  if (cfg?.format && cfg.format !== 'default' && cfg.format !== 'logstash')
    ignored.push(['format', `format ${cfg.format} is not implemented by Switchyard; logging JSON lines`]);
  for (const [key, message] of ignored) child.warn({ setting: `${LOGGING}.${key}` }, message);
  if (asked && !cfg) child.warn({ setting: LOGSTASH }, 'needs telemetry/logging, as in KrakenD; ignored');
  return child;
}
