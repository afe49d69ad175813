import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '@switchyard/shared';

/** A logger whose lines (as written, one JSON line each) are kept for a test to read. */
export function capturingLogger(level: LogLevel = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}
