import { isUsageError } from './args/flags.js';
import type { Command, CommandIO } from './command.js';
import { audit } from './commands/audit.js';
import { check } from './commands/check.js';
import { checkPlugin } from './commands/check-plugin.js';
import { demo } from './commands/demo.js';
import { demoBackends } from './commands/demo-backends.js';
import { events } from './commands/events.js';
import { gateway } from './commands/gateway.js';
import { commandHelp, helpCommand, helpText } from './commands/help.js';
import { run } from './commands/run.js';
import { testPlugin } from './commands/test-plugin.js';
import { version } from './commands/version.js';

// The command table: each subcommand lives in its own file under commands/.
const commands: Command[] = [];
commands.push(
  run,
  gateway,
  check,
  audit,
  events,
  demo,
  demoBackends,
  checkPlugin,
  testPlugin,
  version,
  helpCommand(() => commands),
);

function processIO(): CommandIO {
  // A reader that goes away (`switchyard check -d -c f.json | head -1`) is not our failure: the rest of
  // the output is dropped and the command keeps its exit code, instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal };
}

/** The exit code of a command line that cannot be parsed (cobra's os.Exit(-1)). */
export const USAGE_EXIT = 255;

/** Runs `switchyard <argv>`; resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(helpText(commands));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') return version.run([], io);
  const command = commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (!command) {
    io.stderr.write(`switchyard: unknown command "${name}"\n\n${helpText(commands)}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`switchyard ${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    // A command line that cannot be parsed exits 255, as KrakenD's cobra CLI does; every other failure 1.
    return isUsageError(err) ? USAGE_EXIT : 1;
  }
}
