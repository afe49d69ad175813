import cluster from 'node:cluster';
import { createGateway, type Gateway, type PreparedReload } from '@switchyard/gateway';
import { AggregatorRegistry } from 'prom-client';
import type { CommandIO } from '../command.js';
import { cliLogger, type GatewayArgs } from '../commands/gateway.js';
import { EventForwarder } from './forward.js';
import { type FromWorker, isSwyMessage, STATUS_INTERVAL_MS, type ToWorker } from './messages.js';

const send = (message: FromWorker, done: () => void = () => undefined): void => {
  // The primary gone (its channel closed) is handled on `disconnect`; nothing to send to.
  if (process.connected) process.send?.(message, undefined, {}, () => done());
  else done();
};

/**
 * One worker of `--workers`: a gateway on the node's shared port (node:cluster hands it connections),
 * serving the file the primary sends, with no admin listener and no event proxy of its own. Its events
 * go to the primary (EventForwarder), its metrics are read by the primary's aggregation (prom-client), and
 * it reloads and stops when the primary says so. Resolves to the exit code.
 */
export async function runWorker(args: GatewayArgs, io: CommandIO): Promise<number> {
  // Signals are the primary's to act on (a terminal's Ctrl-C or hang-up reaches the whole process group):
  // processIO already holds SIGINT and SIGTERM; this holds SIGHUP, which would end the process.
  process.on('SIGHUP', () => undefined);
  const inbox: ToWorker[] = [];
  let deliver: (() => void) | undefined;
  process.on('message', (m: unknown) => {
    if (!isSwyMessage(m)) return;
    inbox.push(m as ToWorker);
    deliver?.();
  });
  const nextMessage = async (): Promise<ToWorker> => {
    while (inbox.length === 0) await new Promise<void>((resolve) => (deliver = resolve));
    return inbox.shift() as ToWorker;
  };

  send({ swy: 'hello' });
  const start = await nextMessage();
  if (start.swy === 'stop') {
    cluster.worker?.disconnect();
    return 0;
  }
  if (start.swy !== 'start') throw new Error(`gateway worker: expected start, got ${start.swy}`);
  const logger = cliLogger(io, start.logsToStderr).child({ worker: cluster.worker?.id });
  const gateway: Gateway = createGateway({
    config: start.config,
    logger,
    debug: args.debug,
    ...(args.port !== undefined && { port: args.port }),
    admin: false,
    metrics: start.metrics,
    eventWorker: true,
  });
  const bound = await gateway.listen();
  if (gateway.metricsRegistry) {
    // prom-client answers the primary's aggregation requests from these registries.
    AggregatorRegistry.setRegistries([gateway.metricsRegistry]);
    new AggregatorRegistry();
  }
  const forwarder = new EventForwarder({ hub: gateway.events, send });
  forwarder.recording = start.record;
  const status = setInterval(
    () =>
      send({
        swy: 'status',
        inFlight: gateway.inFlight,
        status: gateway.events.status(),
        unsent: forwarder.backlog,
      }),
    STATUS_INTERVAL_MS,
  );
  status.unref();
  send({ swy: 'listening', port: bound.port });

  // The primary gone: serve no more, finish what is in flight.
  let orphaned: (() => void) | undefined;
  process.once('disconnect', () => orphaned?.());
  const lost = new Promise<'disconnect'>((resolve) => {
    orphaned = () => resolve('disconnect');
    if (!process.connected) resolve('disconnect');
  });

  let prepared: { id: number; reload: PreparedReload } | undefined;
  for (;;) {
    const m = await Promise.race([nextMessage(), lost]);
    if (m === 'disconnect' || m.swy === 'stop') {
      clearInterval(status);
      await gateway.close();
      if (m !== 'disconnect') {
        await forwarder.flush();
        await new Promise<void>((resolve) => send({ swy: 'stopped' }, resolve));
      } else logger.warn('the primary went away: stopped serving');
      // The IPC channel would keep the process alive: let it go (the servers are closed already).
      cluster.worker?.disconnect();
      return 0;
    }
    if (m.swy === 'record') forwarder.recording = m.on;
    else if (m.swy === 'prepare') {
      prepared?.reload.abandon();
      prepared = undefined;
      try {
        prepared = { id: m.id, reload: gateway.prepareReload(m.config) };
        send({ swy: 'prepared', id: m.id });
      } catch (err) {
        send({ swy: 'prepared', id: m.id, error: err instanceof Error ? err.message : String(err) });
      }
    } else if (m.swy === 'settle' && prepared?.id === m.id) {
      if (m.commit) prepared.reload.commit();
      else prepared.reload.abandon();
      prepared = undefined;
    }
  }
}
