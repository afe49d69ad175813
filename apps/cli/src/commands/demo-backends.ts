import { parseListenAddress, SwitchyardError } from '@switchyard/shared';
import { type Flag, parseFlags, stringFlag } from '../args/flags.js';
import type { Command } from '../command.js';
import { startDemoBackends } from '../demo/backends.js';

const USAGE = 'switchyard demo-backends [--listen HOST:PORT]';
const DEFAULT_LISTEN = '127.0.0.1:8000';
const FLAGS: readonly Flag[] = [
  {
    long: 'listen',
    type: 'string',
    value: 'HOST:PORT',
    description: `Where the backends listen [${DEFAULT_LISTEN}]`,
  },
];

/**
 * `switchyard demo-backends`: only the demo's backends, for a gateway that runs elsewhere (the compose
 * file's gateway container). Loopback unless --listen says otherwise; they serve made-up demo data only.
 */
export const demoBackends: Command = {
  name: 'demo-backends',
  summary: `only the demo backends (every backend path of examples/aggregation.json) on --listen [${DEFAULT_LISTEN}], for a gateway running elsewhere; Ctrl-C stops`,
  usage: USAGE,
  flags: FLAGS,
  async run(args, io) {
    const fail = (message: string) =>
      new SwitchyardError('SWY_INVALID_ARGUMENT', `${message}\nusage: ${USAGE}`);
    const listen = stringFlag(parseFlags('demo-backends', FLAGS, args).values, 'listen') ?? DEFAULT_LISTEN;
    let address: { host: string; port: number };
    try {
      address = parseListenAddress(listen, { name: '--listen', example: DEFAULT_LISTEN });
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err));
    }
    const { host, port } = address;
    const backends = await startDemoBackends(port, host);
    io.stdout.write(`demo backends listening on ${backends.url}\n`);
    await io.stopSignal;
    await backends.close();
    return 0;
  },
};
