import type { Command } from '../command.js';
import { parseGatewayArgs, startGateway, untilStopped } from './gateway.js';

const USAGE = 'switchyard run -c FILE [-d] [-p PORT]';

/** `switchyard run`: the gateway (and, once wired, the event proxy in the same process). */
export const run: Command = {
  name: 'run',
  summary:
    'run the gateway from a KrakenD v3 file (-d: /__debug endpoint, -p: port); SIGTERM/SIGINT stop gracefully',
  usage: USAGE,
  async run(args, io) {
    const started = await startGateway(parseGatewayArgs(args, USAGE), io);
    if (!started) return 1;
    return untilStopped(started, io);
  },
};
