import { runCluster } from '../cluster/index.js';
import type { Command } from '../command.js';
import { runProxySettings, startRun } from '../wiring/run.js';
import { GATEWAY_FLAGS, parseGatewayArgs } from './gateway.js';

const USAGE = 'switchyard run -c FILE [-d] [-p PORT] [--admin-listen ADDR] [--workers N|auto]';

/** `switchyard run`: the gateway, and the event proxy in the same process when TARGET_TYPE is set. */
export const run: Command = {
  name: 'run',
  summary:
    'run the gateway from a KrakenD v3 file (-d: /__debug endpoint, -p: port, --admin-listen: admin API and event stream [127.0.0.1:8091]); with TARGET_TYPE set, the event proxy too, fed in process; SIGHUP or a file change reloads; SIGTERM/SIGINT stop gracefully',
  usage: USAGE,
  flags: GATEWAY_FLAGS,
  async run(argv, io) {
    const args = parseGatewayArgs('run', argv);
    if ((args.workers ?? 1) > 1) return runCluster(args, io, () => runProxySettings(io, {}));
    const running = await startRun(args, io);
    if (!running) return 1;
    const signal = await io.stopSignal;
    running.logger.info({ signal }, 'stopping: finishing requests in flight, then delivering queued events');
    await running.close();
    return 0;
  },
};
