import { runEventProxy } from '@switchyard/event-proxy';
import type { Command } from '../command.js';

export const events: Command = {
  name: 'events',
  summary:
    'run the event proxy alone: settings from the environment (TARGET_TYPE, …) and an optional JSON file; SIGTERM/SIGINT drain and exit',
  usage: 'switchyard events [-c FILE]',
  async run(args, io) {
    // A first argument that is not an option names a subcommand of `events`; none is built in yet.
    const sub = args[0];
    if (sub !== undefined && !sub.startsWith('-')) {
      io.stderr.write(`switchyard events: unknown subcommand "${sub}" (usage: ${this.usage})\n`);
      return 1;
    }
    return runEventProxy(args, io);
  },
};
