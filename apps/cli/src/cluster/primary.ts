import cluster from 'node:cluster';
import type { AdminNamespace, EventProxySettings, EventsNamespace, GatewayFile } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import {
  ADMIN_DEFAULTS,
  type AdminServer,
  createAdminServer,
  type EventFeed,
  EventHub,
  namespaceChanges,
  watchGatewayConfig,
} from '@switchyard/gateway';
import { VERSION } from '@switchyard/shared';
import { AggregatorRegistry } from 'prom-client';
import type { CommandIO } from '../command.js';
import { cliLogger, type GatewayArgs, loadForRun } from '../commands/gateway.js';
import { HubSource } from '../wiring/hub-source.js';
import { inProcessSettings } from '../wiring/run.js';
import type { ToWorker } from './messages.js';
import { WorkerPool } from './pool.js';
import { ClusterReload } from './reload.js';
import { UnsentEvents } from './unsent.js';

export interface PrimaryOptions {
  /** The event proxy to run for the node (`run` with TARGET_TYPE), or null. */
  proxy: EventProxySettings | null;
}

const eventsOf = (file: GatewayFile) => (file.extra_config?.['telemetry/events'] ?? {}) as EventsNamespace;
const adminOf = (file: GatewayFile) => (file.extra_config?.admin ?? {}) as AdminNamespace;

/**
 * The primary of `--workers N`: it serves no request itself. It holds what there is one of per node —
 * the admin listener (`/__health`, `/metrics` aggregated over the workers, `/__events` merging every
 * worker's events under one numbering), the event proxy with its spool and sink (`run`), the file watch —
 * and forks N workers that serve the port. Resolves to the exit code once stopped (SIGTERM/SIGINT).
 */
export async function runPrimary(args: GatewayArgs, io: CommandIO, o: PrimaryOptions): Promise<number> {
  const initial = await loadForRun(args.file, io);
  if (!initial) return 1;
  const size = args.workers ?? 1;
  const eventsOnStdout = o.proxy?.target.type === 'file' && o.proxy.target.file?.path === '-';
  const logger = cliLogger(io, eventsOnStdout);
  const adminSettings = adminOf(initial);
  const adminOn = adminSettings.disable !== true;
  // Set before the first fork: workers run this same command, and structured clone keeps the file's types.
  cluster.setupPrimary({ serialization: 'advanced' });

  let recording = false;
  // Events of workers that exited before forwarding them (a lower bound), for node_health.
  let eventsLost = 0;
  const unsent = new UnsentEvents();
  const workerCounts = () => ({ ...pool.counts(), events_lost: eventsLost });
  const feed: EventFeed = {
    consumes: false,
    pluginUpdated: (data) => hub.pluginUpdated(data),
    health: (data) => hub.health({ ...data, workers: workerCounts() }),
    forward: () => {
      recording = true;
      pool.broadcast({ swy: 'record', on: true });
      return hub.nextSeq;
    },
    stopForwarding: () => {
      recording = false;
      pool.broadcast({ swy: 'record', on: false });
    },
    configure: () => undefined,
  };
  const hub: EventHub = new EventHub({
    settings: eventsOf(initial),
    logger,
    health: { inFlight: () => pool.inFlight, status: () => pool.status() },
    feed,
  });
  const reload = new ClusterReload({ workers: () => pool.workers(), config: initial });
  const pool: WorkerPool = new WorkerPool({
    size,
    logger,
    startMessage: (): ToWorker => ({
      swy: 'start',
      config: reload.config,
      record: recording,
      metrics: adminOn,
      logsToStderr: eventsOnStdout,
    }),
    onMessage: (worker, m) => {
      if (m.swy === 'events') {
        hub.adopt(m.events, m.lost);
        unsent.arrived(worker.id, m.events.length + m.lost);
      } else if (m.swy === 'status') unsent.status(worker.id, m.unsent);
      else if (m.swy === 'stopped') unsent.finished(worker.id);
      else reload.onMessage(worker, m);
    },
    whenStartable: (worker, start) => {
      if (reload.deciding)
        logger.info({ worker: worker.id }, 'a gateway worker starts once the reload in progress is decided');
      reload.whenSettled(start);
    },
    onExit: (worker, started) => {
      const lost = unsent.exited(worker.id);
      // One that never started recorded nothing.
      if (lost === undefined || !started || !recording) return;
      // Told as an inexact gap: what it recorded after its last status is unknown.
      eventsLost += lost;
      hub.loseUncounted(lost);
      logger.error(
        { worker: worker.id, events_lost_at_least: lost },
        'a gateway worker exited before forwarding its events: they are lost',
      );
    },
  });

  // The node's event proxy reads the node's hub in memory, as `run` without workers does.
  let proxy: EventProxy | undefined;
  let source: HubSource | undefined;
  if (o.proxy) {
    source = new HubSource({ hub });
    proxy = createEventProxy(inProcessSettings(o.proxy) as EventProxySettings, {
      logger: logger.child({ runtime: 'event-proxy' }),
      stdout: io.stdout,
      sources: [source],
    });
    await proxy.start();
  }
  const aggregator = adminOn ? new AggregatorRegistry() : undefined;
  const admin: AdminServer | null = adminOn
    ? createAdminServer({
        hub,
        listen: args.adminListen ?? adminSettings.listen ?? ADMIN_DEFAULTS.listen,
        ...(adminSettings.token ? { token: adminSettings.token } : {}),
        ...(adminSettings.max_streams !== undefined && { maxStreams: adminSettings.max_streams }),
        logger: logger.child({ component: 'admin' }),
        ...(aggregator && { metrics: () => aggregator.clusterMetrics() }),
        health: () => ({
          agents: {},
          now: new Date().toISOString(),
          status: pool.status(),
          node_id: hub.nodeId,
          version: VERSION,
          uptime_s: Math.round(process.uptime()),
          in_flight: pool.inFlight,
          workers: workerCounts(),
          events: {
            recording: hub.recording,
            subscribers: hub.subscribers,
            retained: hub.retained,
            retained_bytes: hub.retainedBytes,
          },
        }),
      })
    : null;

  const stopAll = async () => {
    await pool.stop();
    await source?.flush();
    await admin?.close();
    await proxy?.close();
    hub.close();
  };
  // A stop asked for while workers start (SIGTERM from an orchestrator) stops them as they come up.
  const stopped = io.stopSignal.then((signal) => ({ signal }));
  try {
    const early = await Promise.race([pool.start().then(() => undefined), stopped]);
    if (early) {
      logger.info(early, 'stopping before every worker started');
      await stopAll();
      return 0;
    }
    if (admin) logger.info({ url: (await admin.start()).url }, 'admin listener on');
  } catch (err) {
    await stopAll();
    throw err;
  }
  hub.start();
  logger.info({ workers: size, port: pool.port }, 'gateway listening with workers');

  const watcher = watchGatewayConfig({
    file: args.file,
    logger,
    env: io.env,
    gateway: {
      async reload(next) {
        const previous = reload.config;
        await reload.apply(next);
        hub.configure(eventsOf(next));
        const changes = namespaceChanges(previous, next);
        for (const c of changes) hub.emitPluginUpdated(c.plugin, c.scope, 'config', c.from, c.to);
        return changes;
      },
    },
  });

  const { signal } = await stopped;
  logger.info({ signal }, 'stopping: workers finish requests in flight, then queued events are delivered');
  watcher.close();
  await stopAll();
  return 0;
}
