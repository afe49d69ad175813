import type { Command, CommandIO } from './command.js';
import { check } from './commands/check.js';
import { demo } from './commands/demo.js';
import { demoBackends } from './commands/demo-backends.js';
import { events } from './commands/events.js';
import { gateway } from './commands/gateway.js';
import { helpCommand, helpText } from './commands/help.js';
import { run } from './commands/run.js';
import { version } from './commands/version.js';

// The command table: each subcommand lives in its own file under commands/.
const commands: Command[] = [];
commands.push(
  run,
  gateway,
  check,
  events,
  demo,
  demoBackends,
  version,
  helpCommand(() => commands),
);

function processIO(): CommandIO {
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stopSignal };
}

/** Runs `switchyard <argv>`; resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(helpText(commands));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') return version.run([], io);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`switchyard: unknown command "${name}"\n\n${helpText(commands)}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`switchyard ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
