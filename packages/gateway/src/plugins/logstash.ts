import { hostname } from 'node:os';
import type { LineShape } from '@switchyard/shared';

export const LOGSTASH = 'telemetry/logstash';

/** pino's levels as krakend-logstash names them. */
const LEVELS: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** The keys krakend-logstash sets itself: a line's own field of that name is written as `log_<key>`. */
const FIXED = ['@version', '@timestamp', 'module', 'host', 'message', 'level'];

function keepFixed(fields: Record<string, unknown>): Record<string, unknown> {
  if (!FIXED.some((k) => k in fields)) return fields;
  const out: Record<string, unknown> = {};
  for (const k in fields) out[FIXED.includes(k) ? `log_${k}` : k] = fields[k];
  return out;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Go's `2006-01-02T15:04:05.000000-07:00` (krakend-logstash's `@timestamp`), in local time. */
export function logstashTime(at: Date): string {
  const offset = -at.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}` +
    `T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}000` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/**
 * Lines as krakend-logstash writes them: `@version` 1, `@timestamp`, `module` (the logging prefix, else
 * KRAKEND), `host`, `message`, `level` (DEBUG … CRITICAL), and the line's fields beside them (one
 * named as those is written `log_<name>`, as KrakenD's own keys win there).
 */
export function logstashShape(module: string | undefined): LineShape {
  return {
    messageKey: 'message',
    base: { '@version': 1, module: module || 'KRAKEND', host: hostname() },
    timestamp: () => `,"@timestamp":"${logstashTime(new Date())}"`,
    formatters: {
      level: (label) => ({ level: LEVELS[label] ?? label.toUpperCase() }),
      log: keepFixed,
    },
  };
}
