import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventProxySettings } from '@switchyard/config';
import {
  createLogger,
  type Envelope,
  isSwitchyardError,
  type Logger,
  SwitchyardError,
} from '@switchyard/shared';
import { createProxyMetrics, type ProxyMetrics, registerSpoolMetrics } from './admin/metrics.js';
import { adminRoutes } from './admin/routes.js';
import { parseListen } from './listener/address.js';
import { exposure } from './listener/exposure.js';
import { createListener } from './listener/server.js';
import { sleep } from './pipeline/backoff.js';
import { createQueue } from './pipeline/create-queue.js';
import { DeadLetterFile } from './pipeline/dead-letter.js';
import { DeliveryLoop } from './pipeline/delivery.js';
import { createTypeFilter } from './pipeline/filter.js';
import { Intake, type IntakeResult } from './pipeline/intake.js';
import { MemoryQueue } from './pipeline/memory-queue.js';
import type { EventQueue } from './pipeline/queue.js';
import { createSink } from './sinks/index.js';
import type { Sink } from './sinks/sink.js';
import { createSources } from './sources/index.js';
import { ingestRoutes } from './sources/ingest.js';
import type { Source } from './sources/source.js';
import { validateEnvelopes } from './sources/validate.js';
import { DiskSpool } from './spool/disk-spool.js';

export interface EventProxyOptions {
  logger?: Logger;
  /** A sink of your own instead of the one `target` describes. */
  sink?: Sink;
  /** A queue of your own instead of the one `spool` describes. */
  queue?: EventQueue;
  /** Sources of your own, started and stopped with the proxy (besides those the settings ask for). */
  sources?: Source[];
  /** Where a file sink with `path: "-"` writes (default process.stdout). */
  stdout?: NodeJS.WritableStream;
}

export interface CloseOptions {
  /** How long to keep delivering what is queued before stopping [settings.shutdown.timeout_ms]. */
  deadlineMs?: number;
}

export interface EventProxy {
  readonly settings: EventProxySettings;
  readonly metrics: ProxyMetrics;
  /** The listener's bound address once started (the real port when `listen` asked for port 0). */
  readonly address: { host: string; port: number; url: string } | undefined;
  /** Binds the listener, starts the sink, the sources and the delivery loop. */
  start(): Promise<void>;
  /**
   * The in-process source. Resolves once the queue holds the events (or the filter left them out); when it
   * rejects, none of the call's events was taken:
   * - SWY_INVALID_EVENT when any event is invalid (`details.problems`: the first MAX_LISTED_PROBLEMS, each
   *   with index, pointer and reason; `details.problems_total`: all of them);
   * - SWY_QUEUE_FULL when the queue or spool is full under the block policy;
   * - SWY_SPOOL_IO when the spool cannot write (disk full, I/O error): send again later;
   * - SWY_SHUTTING_DOWN once close() has begun.
   */
  publish(events: Envelope | readonly Envelope[]): Promise<IntakeResult>;
  /** Resolves once every event accepted so far is confirmed or dead-lettered; SWY_SINK_TIMEOUT after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  /** Stops the sources and the listener, delivers what is queued until the deadline, then closes the sink. */
  close(options?: CloseOptions): Promise<void>;
}

// A send still under way when the deadline passed is abandoned by closing the sink; this bounds the wait
// for a sink that does not give up at once.
const ABANDON_GRACE_MS = 2000;

interface FlushWaiter {
  target: number;
  resolve(): void;
  reject(err: unknown): void;
}

class ProxyRuntime implements EventProxy {
  readonly metrics: ProxyMetrics;
  private readonly logger: Logger;
  private readonly sink: Sink;
  private readonly sources: Source[];
  private readonly deadLetters: DeadLetterFile;
  private readonly filter;
  private readonly server: Server;
  private queueReady: Promise<EventQueue> | undefined;
  private queue: EventQueue | undefined;
  private intake: Intake | undefined;
  private loop: DeliveryLoop | undefined;
  private bound: EventProxy['address'];
  private accepted = 0;
  private settled = 0;
  private queueRefusing = false;
  /** Learnt from the Kong Admin API source when there is one; http-log entries rarely carry it. */
  private kongNodeId = '';
  private waiters: FlushWaiter[] = [];
  private settledListeners: Array<(events: readonly Envelope[]) => void> = [];
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly settings: EventProxySettings,
    private readonly options: EventProxyOptions,
  ) {
    this.logger =
      options.logger ?? createLogger({ name: 'switchyard-event-proxy', level: settings.log_level });
    this.metrics = createProxyMetrics(() => this.queue?.depth() ?? { events: 0, bytes: 0 });
    this.sink =
      options.sink ??
      createSink(settings.target, {
        logger: this.logger,
        onRetry: (events) => this.metrics.sinkRetried.inc({ sink: settings.target.type }, events),
        ...pick(options, 'stdout'),
      });
    this.sources = [
      ...createSources(settings, {
        onKongNodeId: (id) => {
          this.kongNodeId = id;
        },
        durableQueue: options.queue ? options.queue instanceof DiskSpool : settings.spool.enabled,
      }),
      ...(options.sources ?? []),
    ];
    this.deadLetters = new DeadLetterFile(settings.dead_letter.path);
    this.filter = createTypeFilter(settings.filter.types);
    this.server = createListener(
      [
        ...ingestRoutes({
          accept: (events, source) => this.accept(events, source),
          metrics: this.metrics,
          enabled: settings.ingest.enabled ?? true,
          ...(settings.ingest.token !== undefined && { token: settings.ingest.token }),
          maxBodyBytes: settings.ingest.max_body_bytes,
          maxItems: settings.ingest.max_items,
          maxInFlightBytes: settings.ingest.max_in_flight_bytes,
          kongNodeId: () => this.kongNodeId,
        }),
        ...adminRoutes({
          registry: this.metrics.registry,
          readiness: () => ({
            sink: this.loop !== undefined && this.sink.ready(),
            queue:
              this.intake !== undefined &&
              !this.queueRefusing &&
              this.closing === undefined &&
              (this.queue?.writable?.() ?? true),
          }),
        }),
      ],
      this.logger.child({ component: 'listener' }),
    );
  }

  get address(): EventProxy['address'] {
    return this.bound;
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  async publish(events: Envelope | readonly Envelope[]): Promise<IntakeResult> {
    const list: readonly unknown[] = Array.isArray(events) ? events : [events];
    const { valid, invalid, problems } = validateEnvelopes(list.map((value, index) => ({ index, value })));
    if (invalid > 0) {
      this.metrics.invalid.inc({ source: 'in_process' }, invalid);
      const [first] = problems.listed;
      const listed =
        problems.total > problems.listed.length
          ? `; the first ${problems.listed.length} of ${problems.total} problems are in details.problems`
          : `; ${problems.total} problem${problems.total === 1 ? '' : 's'} in details.problems`;
      throw new SwitchyardError(
        'SWY_INVALID_EVENT',
        `${invalid} of ${list.length} events are invalid, none was taken: [${first?.index}]${first?.pointer} ${first?.reason}${listed}`,
        { details: { problems: problems.listed, problems_total: problems.total } },
      );
    }
    return this.accept(valid, 'in_process');
  }

  flush(timeoutMs?: number): Promise<void> {
    const target = this.accepted;
    if (this.flushed(target)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: FlushWaiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new SwitchyardError('SWY_SINK_TIMEOUT', `events still undelivered after ${timeoutMs} ms`, {
              details: { pending: target - this.settled },
            }),
          );
        }, timeoutMs);
      }
    });
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.doClose(options.deadlineMs ?? this.settings.shutdown.timeout_ms);
    return this.closing;
  }

  private async doStart(): Promise<void> {
    const { host, port } = parseListen(this.settings.listen);
    this.checkExposure(host);
    const queue = await this.ensureQueue();
    this.server.listen({ host, port });
    try {
      await once(this.server, 'listening');
    } catch (err) {
      throw new SwitchyardError(
        'SWY_LISTEN_FAILED',
        `cannot listen on ${this.settings.listen}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const addr = this.server.address() as AddressInfo;
    const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.bound = { host: addr.address, port: addr.port, url: `http://${urlHost}:${addr.port}` };
    let sinkStarted = false;
    try {
      await this.sink.start();
      sinkStarted = true;
    } catch (err) {
      // A sink that cannot work as configured stops the start; one that is only unreachable is retried.
      if (isSwitchyardError(err) && !err.retryable) {
        this.server.close();
        throw err;
      }
      this.logger.warn({ err, sink: this.sink.name }, 'sink not reachable yet; retrying in the background');
    }
    this.loop = new DeliveryLoop({
      queue,
      sink: this.sink,
      deadLetters: this.deadLetters,
      metrics: this.metrics,
      logger: this.logger.child({ component: 'delivery' }),
      batch: { maxEvents: this.settings.batch.max_events, lingerMs: this.settings.batch.linger_ms },
      retry: { initialMs: this.settings.retry.initial_ms, maxMs: this.settings.retry.max_ms },
      sinkStarted,
      onSettled: (events) => this.onSettled(events),
    });
    this.loop.start();
    for (const source of this.sources) {
      await source.start({
        accept: (events) => this.accept(events, source.name),
        onSettled: (listener) => this.settledListeners.push(listener),
        logger: this.logger.child({ source: source.name }),
        registry: this.metrics.registry,
      });
    }
    this.logger.info(
      {
        listen: this.bound.url,
        sink: this.sink.name,
        queue: queue instanceof MemoryQueue ? 'memory' : 'spool',
      },
      'event proxy started',
    );
  }

  /**
   * Ingest on an address other machines reach takes events from anyone there: refused without a token
   * (SWY_LISTEN_INSECURE) unless `ingest.allow_insecure` says so, and then warned about.
   */
  private checkExposure(host: string): void {
    const verdict = exposure(host, this.settings.ingest);
    if (verdict === 'refuse') {
      throw new SwitchyardError(
        'SWY_LISTEN_INSECURE',
        `EVENT_PROXY_LISTEN ${this.settings.listen} takes ingest (POST /events, /kong/http-log) beyond loopback without a token: set EVENT_PROXY_TOKEN, listen on 127.0.0.1, turn ingest off (EVENT_PROXY_INGEST=off), or set EVENT_PROXY_ALLOW_INSECURE=true`,
        { details: { listen: this.settings.listen } },
      );
    }
    if (verdict === 'warn') {
      this.logger.warn(
        { listen: this.settings.listen },
        'ingest listens beyond loopback without a token (EVENT_PROXY_ALLOW_INSECURE=true): anyone who reaches it can inject events',
      );
    }
  }

  private ensureQueue(): Promise<EventQueue> {
    this.queueReady ??= (async () => {
      const queue = this.options.queue ?? (await createQueue(this.settings, this.logger));
      // Events a spool kept from an earlier run count as accepted, so flush waits for them too.
      this.accepted = queue.depth().events;
      this.queue = queue;
      if (queue instanceof DiskSpool) registerSpoolMetrics(this.metrics.registry, () => queue.stats());
      this.intake = new Intake({
        queue,
        filter: this.filter,
        metrics: this.metrics,
        fullPolicy: this.settings.spool.full_policy,
        deadLetter: async (letters) => {
          await this.deadLetters.write(this.sink.name, letters);
          this.metrics.deadLettered.inc({ sink: this.sink.name }, letters.length);
        },
        onAccepted: (n) => {
          this.accepted += n;
        },
        onTaking: (taking) => {
          this.queueRefusing = !taking;
        },
      });
      return queue;
    })();
    return this.queueReady;
  }

  private async accept(events: readonly Envelope[], source: string): Promise<IntakeResult> {
    if (this.closing) throw new SwitchyardError('SWY_SHUTTING_DOWN', 'the event proxy is shutting down');
    await this.ensureQueue();
    return (this.intake as Intake).accept(events, source);
  }

  private onSettled(events: readonly Envelope[]): void {
    this.settled += events.length;
    // Room was made: a queue refused as full may take events again.
    this.queueRefusing = false;
    for (const listener of this.settledListeners) listener(events);
    if (this.waiters.length === 0) return;
    const still: FlushWaiter[] = [];
    for (const w of this.waiters) {
      if (this.flushed(w.target)) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  // An empty queue also counts: drop_oldest may evict accepted events that will never settle.
  private flushed(target: number): boolean {
    return this.settled >= target || (this.queue?.depth().events ?? 0) === 0;
  }

  private async doClose(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    for (const source of this.sources) {
      await source
        .stop()
        .catch((err: unknown) => this.logger.warn({ err, source: source.name }, 'source stop failed'));
    }
    const serverClosed = this.server.listening ? once(this.server, 'close') : Promise.resolve();
    this.server.close();
    this.server.closeIdleConnections();
    if (this.loop) {
      await this.flush(remaining()).catch(() => {});
      this.loop.stop();
      const timer = new AbortController();
      await Promise.race([this.loop.done, sleep(remaining(), timer.signal)]);
      timer.abort();
    }
    // Closing the sink abandons a send still under way; its batch stays queued.
    await this.sink.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the sink failed'));
    if (this.loop) {
      const grace = new AbortController();
      const abandoned = await Promise.race([
        this.loop.done.then(() => false),
        sleep(ABANDON_GRACE_MS, grace.signal).then(() => true),
      ]);
      grace.abort();
      // Its batch is not acked: the spool keeps it (a late ack after close is ignored).
      if (abandoned)
        this.logger.warn({ sink: this.sink.name }, 'a send did not end after the sink was closed');
    }
    const left = this.queue?.depth().events ?? 0;
    await this.queue?.close().catch((err: unknown) => this.logger.error({ err }, 'closing the queue failed'));
    if (left > 0 && this.queue instanceof MemoryQueue) {
      this.metrics.dropped.inc({ reason: 'shutdown' }, left);
      this.logger.warn(
        { events: left },
        'events not delivered before the shutdown deadline are lost (memory queue)',
      );
    } else if (left > 0) {
      this.logger.info({ events: left }, 'events not delivered yet stay in the spool for the next start');
    }
    const undelivered = new SwitchyardError(
      'SWY_SINK_UNAVAILABLE',
      'the event proxy closed before delivering every event',
    );
    for (const w of this.waiters) w.reject(undelivered);
    this.waiters = [];
    await this.deadLetters
      .close()
      .catch((err: unknown) => this.logger.error({ err }, 'closing the dead-letter file failed'));
    this.server.closeAllConnections();
    await serverClosed;
    this.logger.info('event proxy stopped');
  }
}

function pick<T extends object, K extends keyof T>(obj: T, key: K): Partial<Pick<T, K>> {
  return obj[key] === undefined ? {} : ({ [key]: obj[key] } as Pick<T, K>);
}

/** Builds an event proxy from validated settings (see `validateEventProxySettings` in @switchyard/config). */
export function createEventProxy(settings: EventProxySettings, options: EventProxyOptions = {}): EventProxy {
  return new ProxyRuntime(settings, options);
}
