import { describe, expect, it } from 'vitest';
import { CONFIG_FLAG, type Flag, parseFlags } from '../src/args/flags.js';

const FLAGS: Flag[] = [
  CONFIG_FLAG,
  { long: 'debug', short: 'd', type: 'count', description: 'debug' },
  { long: 'test-gin-routes', short: 't', type: 'boolean', description: 'routes' },
  { long: 'lint', short: 'l', type: 'boolean', description: 'lint' },
  { long: 'indent', short: 'i', type: 'string', description: 'indent' },
];
const parse = (...args: string[]) => parseFlags('check', FLAGS, args).values;

describe('parseFlags (pflag rules)', () => {
  it.each([
    [['-c', 'f.json']],
    [['-cf.json']],
    [['-c=f.json']],
    [['--config', 'f.json']],
    [['--config=f.json']],
  ])('reads the config file from %j', (args) => {
    expect(parse(...args).config).toBe('f.json');
  });

  it('expands combined shorthands, the last one taking the next argument or the rest of the group', () => {
    expect(parse('-tdc', 'krakend.json')).toEqual({
      config: 'krakend.json',
      debug: 1,
      'test-gin-routes': true,
    });
    expect(parse('-tdckrakend.json')).toEqual({ config: 'krakend.json', debug: 1, 'test-gin-routes': true });
    expect(parse('-tdc=krakend.json')).toEqual({ config: 'krakend.json', debug: 1, 'test-gin-routes': true });
  });

  it('counts repeated count flags, takes the last value of a value flag, and reads --bool=false', () => {
    expect(parse('-dd', '-d', '-c', 'a', '-c', 'b')).toEqual({ debug: 3, config: 'b' });
    expect(parse('--lint=false', '-t=true')).toEqual({ 'test-gin-routes': true });
  });

  it('takes a value that starts with "-" after a flag that needs one, as pflag does', () => {
    expect(parse('-i', '-x-').indent).toBe('-x-');
    expect(parse('--indent', '--').indent).toBe('--');
  });

  it('refuses unknown flags and missing values, naming the command and its flags', () => {
    expect(() => parse('--strict')).toThrow(
      /^unknown flag: --strict\nusage of switchyard check:\n {2}-c, --config FILE/,
    );
    expect(() => parse('-tx')).toThrow(/^unknown shorthand flag: 'x' in -tx/);
    expect(() => parse('-c')).toThrow(/^flag needs an argument: 'c' in -c/);
    expect(() => parse('--config')).toThrow(/^flag needs an argument: --config/);
    expect(() => parse('--lint=maybe')).toThrow(/invalid argument "maybe" for --lint/);
    expect(() => parse('stray')).toThrow(/unexpected argument "stray"/);
  });
});

describe('--workers of run and gateway', () => {
  it('takes a count or auto (one per available core); one process by default', async () => {
    const { availableParallelism } = await import('node:os');
    const { parseGatewayArgs } = await import('../src/commands/gateway.js');
    expect(parseGatewayArgs('run', ['-c', 'f.json']).workers).toBe(1);
    expect(parseGatewayArgs('run', ['-c', 'f.json', '--workers', '3']).workers).toBe(3);
    expect(parseGatewayArgs('gateway', ['-c', 'f.json', '--workers=auto']).workers).toBe(
      availableParallelism(),
    );
    for (const bad of ['0', '-1', '1.5', 'all', '257'])
      expect(() => parseGatewayArgs('run', ['-c', 'f.json', `--workers=${bad}`])).toThrow(
        /--workers: expected a number/,
      );
  });
});
