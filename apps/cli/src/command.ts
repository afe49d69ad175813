import type { Flag } from './args/flags.js';

/** One `switchyard` subcommand. `run` resolves to the exit code once the command is done. */
export interface Command {
  name: string;
  /** Other names it answers to (KrakenD's `validate` for `check`). */
  aliases?: readonly string[];
  summary: string;
  usage: string;
  /** Its flags, parsed with parseFlags and listed by `help <command>`. */
  flags?: readonly Flag[];
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Where a command writes; tests pass their own. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands await it. */
  stopSignal: Promise<NodeJS.Signals>;
}
