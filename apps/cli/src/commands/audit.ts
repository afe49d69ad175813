import { readFile } from 'node:fs/promises';
import { loadGatewayConfig, renderTemplate } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { CONFIG_FLAG, type Flag, parseFlags, stringFlag } from '../args/flags.js';
import { auditConfig, SEVERITIES } from '../audit/rules.js';
import type { Command } from '../command.js';

/** KrakenD's `audit` flags, same long and short names and defaults. */
const FLAGS: readonly Flag[] = [
  CONFIG_FLAG,
  {
    long: 'ignore',
    short: 'i',
    type: 'string',
    value: 'RULES',
    description: 'Rules to ignore, comma-separated (e.g. 1.2.1,3.1.2)',
  },
  {
    long: 'ignore-file',
    short: 'I',
    type: 'string',
    value: 'PATH',
    description: 'A text file with one rule to ignore per line',
  },
  {
    long: 'severity',
    short: 's',
    type: 'string',
    value: 'LIST',
    description: `Severities to report, comma-separated; any finding of these exits 1 [${SEVERITIES.join(',')}]`,
  },
  {
    long: 'format',
    short: 'f',
    type: 'string',
    value: 'TEMPLATE',
    description: 'Go template for the output, over .Recommendations (.Rule, .Severity, .Message)',
  },
];

const DEFAULT_FORMAT = '{{ range .Recommendations }}{{.Rule}}\t[{{.Severity}}]   \t{{.Message}}\n{{ end }}';
const list = (text: string | undefined) => (text ?? '').replaceAll(' ', '').split(/[,\n]/).filter(Boolean);

/**
 * `switchyard audit`: KrakenD's security recommendations for a config (docs/cli.md lists the rules).
 * Findings go to stderr; exit 1 when there is any of the chosen severities, 0 when none.
 */
export const audit: Command = {
  name: 'audit',
  summary:
    'audit a gateway config against security recommendations (KrakenD rule ids); exit 1 on findings of the chosen --severity',
  usage: 'switchyard audit -c FILE [-s CRITICAL,HIGH] [-i RULES] [-I FILE] [-f TEMPLATE]',
  flags: FLAGS,
  async run(args, io) {
    const { values } = parseFlags('audit', FLAGS, args);
    const file = stringFlag(values, 'config');
    if (!file) {
      io.stderr.write(
        'Please, provide the path to the configuration file with --config or see all the options with --help\n',
      );
      return 1;
    }
    const severities = list(stringFlag(values, 'severity') ?? SEVERITIES.join(',')).map((s) =>
      s.toUpperCase(),
    );
    const unknown = severities.find((s) => !(SEVERITIES as readonly string[]).includes(s));
    if (unknown)
      throw new SwitchyardError(
        'SWY_INVALID_ARGUMENT',
        `--severity: unknown severity ${JSON.stringify(unknown)} (expected ${SEVERITIES.join(', ')})`,
      );
    const ignore = list(stringFlag(values, 'ignore'));
    const ignoreFile = stringFlag(values, 'ignore-file');
    if (ignoreFile) {
      try {
        ignore.push(...list(await readFile(ignoreFile, 'utf8')));
      } catch (err) {
        io.stderr.write(`ERROR accessing the ignore file:\t${(err as Error).message}\n`);
        return 1;
      }
    }
    let loaded: Awaited<ReturnType<typeof loadGatewayConfig>>;
    try {
      loaded = await loadGatewayConfig(file, { env: io.env });
    } catch (err) {
      io.stderr.write(`ERROR parsing the configuration file:\t${(err as Error).message}\n`);
      return 1;
    }
    const recommendations = auditConfig(loaded.config, { ignore, severities });
    const data = {
      Recommendations: recommendations.map((r) => ({
        Rule: r.rule,
        Severity: r.severity,
        Message: r.message,
      })),
      Stats: {},
    };
    io.stderr.write(renderTemplate('audit', stringFlag(values, 'format') ?? DEFAULT_FORMAT, data));
    return recommendations.length > 0 ? 1 : 0;
  },
};
