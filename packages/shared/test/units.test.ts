import { formatDuration, isDuration, parseDuration, parseListenAddress, parseSize } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';

describe('parseDuration', () => {
  it.each([
    ['2s', 2000],
    ['300ms', 300],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['5000ns', 0.005],
    ['0', 0],
    ['.5s', 500],
    ['1h2m3s4ms', 3_723_004],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
    expect(isDuration(text)).toBe(true);
  });

  it.each(['', '2', 's', '2 s', '2sec', '-1s', '1d', 'ms5', '2s!'])(
    'rejects %j with the expected form',
    (text) => {
      expect(isDuration(text)).toBe(false);
      expect(() => parseDuration(text)).toThrow(/invalid duration .*expected a number followed by a unit/);
    },
  );

  it('formats back to the shortest form', () => {
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    [1024, 1024],
    ['1KB', 1000],
    ['1KiB', 1024],
    ['10MB', 10_000_000],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['64k', 65_536],
    ['2 MiB', 2 * 1024 ** 2],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'ten', '1XB', '-5', '1.2.3MB'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(/invalid size/);
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:8091', {}, { host: '127.0.0.1', port: 8091 }],
    ['[::1]:8095', {}, { host: '::1', port: 8095 }],
    [':8091', {}, { host: '127.0.0.1', port: 8091 }],
    [':8095', { emptyHost: '0.0.0.0' }, { host: '0.0.0.0', port: 8095 }],
  ])('%s → host and port', (text, options, expected) => {
    expect(parseListenAddress(text, options)).toEqual(expected);
  });

  it.each(['8091', 'localhost', 'a:b', '1.2.3.4:70000', '[::1]8091'])(
    'rejects %j naming what it configures',
    (text) => {
      expect(() =>
        parseListenAddress(text, { name: 'admin listen address', example: '127.0.0.1:8091' }),
      ).toThrow(
        `admin listen address ${JSON.stringify(text)}: expected host:port, e.g. 127.0.0.1:8091 or [::1]:8091`,
      );
    },
  );
});
