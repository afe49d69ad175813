import { type Diagnostic, formatDiagnostic, readJsonFile, validateGatewayConfig } from '@switchyard/config';
import { isSwitchyardError, SwitchyardError } from '@switchyard/shared';
import type { Command } from '../command.js';

interface CheckArgs {
  file: string;
  lint: boolean;
  debug: boolean;
}

const USAGE = 'switchyard check -c FILE [--lint] [-d]';

function parseArgs(args: string[]): CheckArgs {
  let file: string | undefined;
  let lint = false;
  let debug = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') {
      file = args[++i];
      if (file === undefined) throw new SwitchyardError('SWY_INVALID_ARGUMENT', `${arg} needs a file name`);
    } else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else if (arg === '--lint' || arg === '-l') lint = true;
    else if (arg === '-d' || arg === '--debug') debug = true;
    else
      throw new SwitchyardError(
        'SWY_INVALID_ARGUMENT',
        `unknown option ${JSON.stringify(arg)}\nusage: ${USAGE}`,
      );
  }
  if (!file) throw new SwitchyardError('SWY_INVALID_ARGUMENT', `missing -c FILE\nusage: ${USAGE}`);
  return { file, lint, debug };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `switchyard check`: validates a gateway file as the gateway would load it, and says where it is wrong. */
export const check: Command = {
  name: 'check',
  summary: 'validate a gateway config file (KrakenD v3); --lint adds warnings, -d prints the parsed config',
  usage: USAGE,
  async run(args, io) {
    const { file, lint, debug } = parseArgs(args);
    let diagnostics: Diagnostic[];
    try {
      const parsed = await readJsonFile(file);
      const loaded = validateGatewayConfig(parsed.value, { file, parsed, lint, env: io.env });
      for (const w of loaded.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
      if (debug)
        io.stdout.write(`Parsed configuration (with defaults):\n${JSON.stringify(loaded.config, null, 2)}\n`);
      io.stdout.write('Syntax OK!\n');
      return 0;
    } catch (err) {
      if (!isSwitchyardError(err, 'SWY_CONFIG_INVALID')) {
        if (isSwitchyardError(err)) {
          io.stderr.write(`${err.message}\n`);
          return 1;
        }
        throw err;
      }
      diagnostics = (err.details?.diagnostics as Diagnostic[] | undefined) ?? [];
    }
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr.write(
      `${file}: ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}\n`,
    );
    return 1;
  },
};
