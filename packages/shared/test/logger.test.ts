import { Writable } from 'node:stream';
import { createLogger, redactHeaders } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';
import { prettyStream } from '../src/logger/pretty.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON with sensitive headers redacted, in child loggers too', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log
      .child({ request_id: 'r1' })
      .info(
        { req: { headers: { authorization: 'Bearer secret', cookie: 'sid=1', accept: 'json' } } },
        'hello',
      );
    expect(lines[0]).toMatchObject({
      msg: 'hello',
      request_id: 'r1',
      req: { headers: { authorization: '[REDACTED]', cookie: '[REDACTED]', accept: 'json' } },
    });
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('takes its level from LOG_LEVEL and refuses an unknown one by name', () => {
    const { lines, destination } = capture();
    const old = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'warn';
    try {
      const log = createLogger({ destination });
      log.info('dropped');
      log.warn('kept');
      expect(lines.map((l) => l.msg)).toEqual(['kept']);
      process.env.LOG_LEVEL = 'loud';
      expect(() => createLogger({ destination })).toThrow(
        /LOG_LEVEL: expected one of debug, info, warn, error/,
      );
    } finally {
      if (old === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = old;
    }
  });

  it('takes fatal, the level telemetry/logging CRITICAL gives the gateway and its event worker', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'fatal' });
    log.error('dropped');
    log.fatal('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});

describe('redactHeaders', () => {
  it('hides authorization, cookie, set-cookie and the extra names, case-insensitively', () => {
    expect(
      redactHeaders({ Authorization: 'x', 'Set-Cookie': 'y', 'X-Api-Key': 'k', accept: '*/*' }, [
        'x-api-key',
      ]),
    ).toEqual({
      Authorization: '[REDACTED]',
      'Set-Cookie': '[REDACTED]',
      'X-Api-Key': '[REDACTED]',
      accept: '*/*',
    });
  });
});

describe('pretty output (pino-pretty, an optional peer dependency)', () => {
  it('uses pino-pretty when it can be loaded', () => {
    expect(prettyStream()).toBeDefined();
  });

  it('falls back to JSON (undefined stream) when pino-pretty is not installed', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(prettyStream(missing)).toBeUndefined();
  });

  it('does not hide another failure to load it', () => {
    const broken = () => {
      throw new SyntaxError('broken install');
    };
    expect(() => prettyStream(broken)).toThrow('broken install');
  });
});
