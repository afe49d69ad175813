import cluster from 'node:cluster';
import type { EventProxySettings } from '@switchyard/config';
import type { CommandIO } from '../command.js';
import type { GatewayArgs } from '../commands/gateway.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

/**
 * `run` or `gateway` with `--workers N` (N > 1): the primary here, a worker in each process it forks (they
 * run the same command line). `proxy` is the node's event proxy (`run` with TARGET_TYPE), which only the
 * primary reads. Resolves to the exit code.
 */
export function runCluster(
  args: GatewayArgs,
  io: CommandIO,
  proxy: () => Promise<EventProxySettings | null>,
): Promise<number> {
  if (cluster.isWorker) return runWorker(args, io);
  return proxy().then((settings) => runPrimary(args, io, { proxy: settings }));
}
