import { flagTable } from '../args/flags.js';
import type { Command } from '../command.js';

/** `usage`, the summary and the flags of one command. */
export function commandHelp(c: Command): string {
  const flags = c.flags?.length ? `\n\nFlags:\n${flagTable(c.flags)}` : '';
  return `${c.usage}\n\n${c.summary}${flags}\n`;
}

export function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'switchyard — an API gateway (KrakenD v3 configs) and an event proxy in one',
    '',
    'Usage: switchyard <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `switchyard help <command>` for a command's options.",
    '',
  ].join('\n');
}

export function helpCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'help',
    summary: "show this help, or a command's usage",
    usage: 'switchyard help [command]',
    async run(args, io) {
      const all = commands();
      const target = args[0]
        ? all.find((c) => c.name === args[0] || c.aliases?.includes(args[0] as string))
        : undefined;
      if (args[0] && !target) {
        io.stderr.write(`switchyard: unknown command "${args[0]}"\n\n${helpText(all)}`);
        return 1;
      }
      io.stdout.write(target ? commandHelp(target) : helpText(all));
      return 0;
    },
  };
}
