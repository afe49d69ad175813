import { parseArgs } from 'node:util';
import { isSwitchyardError, SwitchyardError } from '@switchyard/shared';

/** One flag of a command, as cobra/pflag declares it: a long name, an optional one-letter shorthand. */
export interface Flag {
  long: string;
  short?: string;
  /** `string` takes a value; `boolean` does not; `count` does not and may repeat (`-dd`). */
  type: 'string' | 'boolean' | 'count';
  /** Placeholder in the help, e.g. FILE. */
  value?: string;
  description: string;
}

export type FlagValues = Record<string, string | boolean | number | undefined>;

export interface ParsedFlags {
  values: FlagValues;
  positionals: string[];
}

/** The command's flags as a help table: `  -c, --config FILE   Path to the configuration file`. */
export function flagTable(flags: readonly Flag[]): string {
  const left = flags.map(
    (f) =>
      `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  return flags.map((f, i) => `  ${(left[i] as string).padEnd(width)}  ${f.description}`).join('\n');
}

const BOOL_TEXT = new Map([
  ['true', true],
  ['1', true],
  ['t', true],
  ['false', false],
  ['0', false],
  ['f', false],
]);

/**
 * Parses a command's arguments with pflag's rules (what KrakenD's cobra CLI accepts), on top of
 * `node:util` parseArgs: combined shorthands (`-tdc FILE`, `-tdcFILE`), `-c=FILE`, `-c FILE`,
 * `--config FILE`, `--config=FILE`, `--lint=false`, repeated count flags (`-dd`), and `--` to end the
 * flags. An unknown flag or a missing value is SWY_INVALID_ARGUMENT naming the command's flags.
 */
export function parseFlags(
  command: string,
  flags: readonly Flag[],
  args: readonly string[],
  options: { positionals?: boolean } = {},
): ParsedFlags {
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const byLong = new Map(flags.map((f) => [f.long, f]));
  const fail = (message: string): never => {
    throw usageError(`${message}\nusage of switchyard ${command}:\n${flagTable(flags)}`);
  };

  // pflag rules parseArgs does not have (`-c=FILE`, `--lint=false`, a value that starts with "-") are
  // rewritten into the plain forms parseArgs reads; booleans set to false are dropped.
  const tokens: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      tokens.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const flag = byLong.get(name);
      if (!flag) fail(`unknown flag: --${name}`);
      const f = flag as Flag;
      if (f.type === 'string') {
        const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) fail(`flag needs an argument: --${name}`);
        tokens.push(`--${name}=${value}`);
      } else if (eq > 0) {
        const on = BOOL_TEXT.get(arg.slice(eq + 1).toLowerCase());
        if (on === undefined)
          fail(`invalid argument "${arg.slice(eq + 1)}" for --${name}: expected true or false`);
        if (on) tokens.push(`--${name}`);
      } else tokens.push(arg);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j] as string;
        const flag = byShort.get(c);
        if (!flag) fail(`unknown shorthand flag: '${c}' in ${arg}`);
        const f = flag as Flag;
        if (f.type === 'string') {
          let value = arg.slice(j + 1);
          if (value.startsWith('=')) value = value.slice(1);
          else if (value === '') {
            const next = args[++i];
            if (next === undefined) fail(`flag needs an argument: '${c}' in -${c}`);
            value = next as string;
          }
          tokens.push(`--${f.long}=${value}`);
          break;
        }
        if (arg[j + 1] === '=') {
          const on = BOOL_TEXT.get(arg.slice(j + 2).toLowerCase());
          if (on === undefined)
            fail(`invalid argument "${arg.slice(j + 2)}" for -${c}: expected true or false`);
          if (on) tokens.push(`--${f.long}`);
          break;
        }
        tokens.push(`--${f.long}`);
      }
      continue;
    }
    tokens.push(arg);
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: tokens,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        flags.map((f) => [f.long, { type: f.type === 'string' ? 'string' : 'boolean', multiple: true }]),
      ),
    });
  } catch (err) {
    return fail((err as Error).message);
  }
  if (parsed.positionals.length > 0 && !options.positionals)
    fail(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  const values: FlagValues = {};
  for (const f of flags) {
    const list = parsed.values[f.long] as (string | boolean)[] | undefined;
    if (!list) continue;
    // pflag: the last occurrence of a value flag wins; a count flag counts.
    values[f.long] = f.type === 'count' ? list.length : list[list.length - 1];
  }
  return { values, positionals: parsed.positionals };
}

/** A command line that cannot be parsed: `main` exits 255 for it, as cobra does. */
export const usageError = (message: string) =>
  new SwitchyardError('SWY_INVALID_ARGUMENT', message, { details: { usage: true } });

/** Whether `err` is a usageError. */
export const isUsageError = (err: unknown): boolean =>
  isSwitchyardError(err, 'SWY_INVALID_ARGUMENT') && err.details?.usage === true;

/** A flag's string value, or undefined. */
export const stringFlag = (values: FlagValues, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

/** The shared `-c, --config FILE` flag. */
export const CONFIG_FLAG: Flag = {
  long: 'config',
  short: 'c',
  type: 'string',
  value: 'FILE',
  description: 'Path to the configuration file (.json, .yaml, .yml or .toml)',
};
