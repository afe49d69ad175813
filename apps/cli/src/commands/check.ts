import {
  type Diagnostic,
  formatDiagnostic,
  type LoadedGatewayConfig,
  readGatewaySource,
  validateGatewayConfig,
} from '@switchyard/config';
import { isSwitchyardError } from '@switchyard/shared';
import { CONFIG_FLAG, type Flag, parseFlags, stringFlag, usageError } from '../args/flags.js';
import { lintWithSchema } from '../check/custom-schema.js';
import { withAllDefaults } from '../check/defaults.js';
import { testRoutes } from '../check/route-test.js';
import type { Command, CommandIO } from '../command.js';

/** KrakenD's `check` flags, same long and short names. */
const FLAGS: readonly Flag[] = [
  CONFIG_FLAG,
  {
    long: 'debug',
    short: 'd',
    type: 'count',
    description:
      'Print the parsed config, every default filled in, as JSON on stdout (messages go to stderr)',
  },
  {
    long: 'indent',
    short: 'i',
    type: 'string',
    value: 'INDENT',
    description: 'Indentation of the -d output: a number of spaces or the text itself [\\t]',
  },
  {
    long: 'lint',
    short: 'l',
    type: 'boolean',
    description: 'Also report questionable things (strict linting)',
  },
  {
    long: 'lint-no-network',
    short: 'n',
    type: 'boolean',
    description: 'Lint against the schema bundled in the package (no network; the same as --lint)',
  },
  {
    long: 'lint-schema',
    short: 's',
    type: 'string',
    value: 'PATH',
    description: 'Lint against a JSON Schema file as well',
  },
  {
    long: 'test-gin-routes',
    short: 't',
    type: 'boolean',
    description: 'Build the router and every endpoint pipeline as run does; report what run would refuse',
  },
];

const USAGE = 'switchyard check -c FILE [-d] [-i INDENT] [-l | -n | -s SCHEMA] [-t]';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `-i 4` is four spaces; any other text is used as it is (KrakenD's prefix). */
const indentOf = (text: string | undefined) =>
  text === undefined ? '\t' : /^\d+$/.test(text) ? ' '.repeat(Math.min(10, Number(text))) : text;

/** Writes `text` and resolves once it is handed to the stream (or the reader is gone). */
const writeOut = (stream: NodeJS.WritableStream, text: string) =>
  new Promise<void>((resolve) => {
    stream.write(text, () => resolve());
  });

/**
 * `switchyard check`: validates a gateway file (JSON, YAML, TOML, or a Flexible Configuration template)
 * as the gateway loads it, and says where it is wrong. Exit 0 when it is good, 1 when not, as KrakenD.
 */
export const check: Command = {
  name: 'check',
  aliases: ['validate'],
  summary:
    'validate a gateway config (KrakenD v3; JSON, YAML, TOML or FC templates) as run reads it: -l/-n lint strictly, -d prints the parsed config as JSON, -t builds the routes as run would',
  usage: USAGE,
  flags: FLAGS,
  async run(args, io) {
    const { values } = parseFlags('check', FLAGS, args);
    const file = stringFlag(values, 'config');
    const lintSchema = stringFlag(values, 'lint-schema');
    const lintFlags = ['lint', 'lint-no-network', 'lint-schema'].filter(
      (f) => values[f] !== undefined && values[f] !== false,
    );
    if (lintFlags.length > 1)
      throw usageError(
        `if any flags in the group [lint lint-no-network lint-schema] are set none of the others can be; [${lintFlags.join(' ')}] were all set`,
      );
    if (!file) {
      io.stderr.write(
        'Please, provide the path to the configuration file with --config or see all the options with --help\n',
      );
      return 1;
    }
    const debug = Number(values.debug ?? 0) > 0;
    const lint = values.lint === true || values['lint-no-network'] === true;

    let loaded: LoadedGatewayConfig;
    let raw: unknown;
    try {
      const source = await readGatewaySource(file, io.env);
      raw = source.parsed.value;
      // Plain check reads the file as `run` does but, like KrakenD's, builds no routes (-t does).
      loaded = validateGatewayConfig(raw, {
        file: source.label,
        parsed: source.parsed,
        env: io.env,
        lint,
        routes: lint,
      });
    } catch (err) {
      return reportFailure(err, file, io);
    }
    for (const w of loaded.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
    if (lintSchema) {
      // The file as written (rendered), as KrakenD lints it: no defaults, no SWITCHYARD_* overrides.
      const violations = await lintWithSchema(raw, lintSchema);
      if (violations.length > 0) {
        io.stderr.write(`ERROR linting the configuration file against ${lintSchema}:\n`);
        for (const v of violations) io.stderr.write(`\t${v}\n`);
        return 1;
      }
    }
    if (values['test-gin-routes'] === true) {
      try {
        for (const line of await testRoutes(loaded.config, debug)) io.stderr.write(`${line}\n`);
      } catch (err) {
        io.stderr.write(
          `ERROR testing the configuration file:\n\t${err instanceof Error ? err.message : String(err)}\n`,
        );
        return 1;
      }
    }
    if (debug) {
      // stdout carries the config and nothing else, so it pipes into jq.
      await writeOut(
        io.stdout,
        `${JSON.stringify(withAllDefaults(loaded.config), null, indentOf(stringFlag(values, 'indent')))}\n`,
      );
      io.stderr.write('Syntax OK!\n');
    } else io.stdout.write('Syntax OK!\n');
    return 0;
  },
};

/** Prints why the file could not be loaded, as diagnostics when there are some; the exit code. */
function reportFailure(err: unknown, file: string, io: CommandIO): number {
  if (!isSwitchyardError(err) || !err.code.startsWith('SWY_CONFIG_')) throw err;
  const diagnostics = (err.details?.diagnostics as Diagnostic[] | undefined) ?? [];
  if (diagnostics.length === 0) {
    io.stderr.write(`${err.message}\n`);
    return 1;
  }
  for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  io.stderr.write(`${file}: ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}\n`);
  return 1;
}
