import type { Logger } from '@switchyard/shared';

const LEVELS: Record<number, 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'trace'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * Writes a pino JSON line from the event worker through the gateway's logger, so the worker's lines go
 * where the gateway's go, with its bindings. Lines are few (starts, failures, warnings), never per event.
 */
export function relayLogLine(logger: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.info({ line }, 'event worker');
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _host, name: _name, ...rest } = entry;
  const method = LEVELS[Number(level)] ?? 'info';
  logger[method]({ thread: 'events', ...rest }, typeof msg === 'string' ? msg : '');
}
