import { runEventProxy } from '@switchyard/event-proxy';
import { CONFIG_FLAG, parseFlags, stringFlag } from '../args/flags.js';
import type { Command } from '../command.js';
import { TAIL_USAGE, tailEvents } from './events-tail.js';

const EVENTS_CONFIG_FLAG = { ...CONFIG_FLAG, description: 'Path to an event proxy settings file (JSON)' };

export const events: Command = {
  name: 'events',
  summary:
    "run the event proxy alone: settings from the environment (TARGET_TYPE, GATEWAY_ADMIN_URL, …) and an optional JSON file; SIGTERM/SIGINT drain and exit. `events tail` prints a gateway's live event stream",
  usage: `switchyard events [-c FILE]\n       ${TAIL_USAGE}`,
  flags: [EVENTS_CONFIG_FLAG],
  async run(args, io) {
    // A first argument that is not an option names a subcommand of `events`.
    const sub = args[0];
    if (sub === 'tail') return tailEvents(args.slice(1), io);
    if (sub !== undefined && !sub.startsWith('-')) {
      io.stderr.write(`switchyard events: unknown subcommand "${sub}" (usage: ${this.usage})\n`);
      return 1;
    }
    const { values } = parseFlags('events', [EVENTS_CONFIG_FLAG], args);
    const file = stringFlag(values, 'config');
    return runEventProxy(file === undefined ? [] : ['-c', file], io);
  },
};
