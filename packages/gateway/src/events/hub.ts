import { hostname } from 'node:os';
import type { EventsNamespace } from '@switchyard/config';
import {
  createEnvelope,
  type Envelope,
  EVENT_TYPES,
  type EventData,
  type EventType,
  type HealthStatus,
  headerRedactor,
  type Logger,
  type PluginUpdatedData,
  parseDuration,
} from '@switchyard/shared';
import { HealthProbe, type HealthSources } from './health.js';
import { HubIds } from './ids.js';
import type { GatewayObserver, RequestInfo, ResponseInfo } from './observer.js';
import { SeqRing } from './ring.js';
import { createSampler } from './sampler.js';

export const EVENT_HUB_DEFAULTS = {
  ringSize: 10_000,
  healthIntervalMs: 10_000,
  /** How long the hub keeps recording after its last consumer left, so a reconnecting one loses nothing. */
  retainMs: 5 * 60_000,
} as const;

/** One recorded event; `frame` caches its Server-Sent Events text so many streams serialise it once. */
export interface StoredEvent {
  seq: number;
  event: Envelope;
  frame?: string;
}

/** Told to a consumer whose resume point is no longer retained (sent as the SSE `gap` event). */
export interface GapInfo {
  /** Events the consumer will never get; a lower bound when `exact` is false. */
  missed: number;
  /** The id the consumer resumed from. */
  from: string | null;
  /** The id of the first event it gets next (null: nothing retained yet). */
  oldest: string | null;
  /** False when the id is not one of this hub's (another node, a restart) or the hub paused recording. */
  exact: boolean;
}

/** Where a consumer starts reading: the sequence number of its next event, and the gap before it, if any. */
export interface StartPosition {
  seq: number;
  gap?: GapInfo;
}

/**
 * Receives each event synchronously on the emitting call (often the request path). It must return quickly:
 * queue the event and do the work elsewhere. Backpressure is the listener's concern — the hub never waits
 * and never buffers on its behalf beyond the ring. A listener that throws is logged, not removed.
 */
export type EventListener = (event: Envelope) => void;

export interface SubscribeOptions {
  /** Replay the retained events after this id before live ones; without it the listener gets live events. */
  afterId?: string;
  /** Called before any replayed event when events after `afterId` are no longer retained. */
  onGap?: (gap: GapInfo) => void;
}

export interface EventHubOptions {
  /** The `telemetry/events` namespace (already validated by the config loader). */
  settings?: EventsNamespace;
  /** The node id when `settings.node_id` is absent; defaults to the host name. */
  nodeId?: string;
  logger?: Logger;
  /** The gateway's figures for `node_health`. */
  health?: HealthSources;
  /** Overrides EVENT_HUB_DEFAULTS.retainMs (Infinity: never stop once a consumer attached). */
  retainMs?: number;
}

/**
 * The gateway's event emitter. It records events only while a consumer is attached (an in-process
 * subscriber or an SSE stream, and for `retainMs` after the last one left): otherwise each hook is one
 * branch and a return, with no envelope built. Recorded events go to a bounded ring, from which consumers
 * resume by id, and to the subscribers.
 */
export class EventHub implements GatewayObserver {
  readonly nodeId: string;
  private readonly ring: SeqRing<StoredEvent>;
  private readonly ids = new HubIds();
  // These four follow a reload (see configure); the ring and the node id are fixed for the hub's life.
  private types: ReadonlySet<EventType> = new Set();
  private redact: ReturnType<typeof headerRedactor> = headerRedactor([]);
  private sampled: (requestId: string) => boolean = () => true;
  private healthIntervalMs: number = EVENT_HUB_DEFAULTS.healthIntervalMs;
  private readonly retainMs: number;
  private readonly probe: HealthProbe;
  private readonly logger: Logger | undefined;
  private listeners: readonly EventListener[] = [];
  private active = false;
  /** nextSeq when recording last resumed: a consumer whose position is before it missed unrecorded events. */
  private resumedAt = 0;
  private lastStatus: string | undefined;
  private started = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private retainTimer: NodeJS.Timeout | undefined;

  constructor(options: EventHubOptions = {}) {
    const s = options.settings ?? {};
    this.nodeId = s.node_id ?? options.nodeId ?? hostname();
    this.ring = new SeqRing(s.ring_size ?? EVENT_HUB_DEFAULTS.ringSize);
    this.applySettings(s);
    this.retainMs = options.retainMs ?? EVENT_HUB_DEFAULTS.retainMs;
    this.probe = new HealthProbe(options.health ?? {});
    this.logger = options.logger;
  }

  /** Whether events are being recorded now. */
  get recording(): boolean {
    return this.active;
  }

  get subscribers(): number {
    return this.listeners.length;
  }

  /** Events held in the ring. */
  get retained(): number {
    return this.ring.size;
  }

  /** The sequence number the next event gets. */
  get nextSeq(): number {
    return this.ring.nextSeq;
  }

  /** The sequence number of the oldest retained event. */
  get oldestSeq(): number {
    return this.ring.oldestSeq;
  }

  /** Retained event `seq`, or undefined once it left the ring. */
  entry(seq: number): StoredEvent | undefined {
    return this.ring.get(seq);
  }

  /** Starts the periodic `node_health` (when that type is enabled). */
  start(): void {
    this.started = true;
    if (this.healthTimer || !this.types.has('node_health')) return;
    this.probe.start();
    this.healthTimer = setInterval(() => this.emitHealth(), this.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * Applies a reloaded `telemetry/events`: types, header redaction, sampling and the health interval take
   * effect at once. `ring_size` and `node_id` keep their first values (a ring is never resized under its
   * readers, and a node keeps one id); the return value names the keys that were left unchanged.
   */
  configure(settings: EventsNamespace = {}): string[] {
    this.applySettings(settings);
    if (this.started) {
      this.stopHealth();
      this.start();
    }
    const fixed: string[] = [];
    if ((settings.ring_size ?? EVENT_HUB_DEFAULTS.ringSize) !== this.ring.capacity) fixed.push('ring_size');
    if (settings.node_id !== undefined && settings.node_id !== this.nodeId) fixed.push('node_id');
    return fixed;
  }

  close(): void {
    this.started = false;
    this.stopHealth();
    clearTimeout(this.retainTimer);
    this.listeners = [];
    this.active = false;
  }

  requestStarted(req: RequestInfo): void {
    if (!this.active || !this.types.has('request') || !this.sampled(req.request_id)) return;
    this.append('request', { ...req, headers: this.redact(req.headers) });
  }

  requestFinished(req: RequestInfo, res: ResponseInfo): void {
    if (!this.active || !this.types.has('response') || !this.sampled(req.request_id)) return;
    this.append('response', {
      request_id: req.request_id,
      method: req.method,
      path: req.path,
      endpoint: req.endpoint,
      status: res.status,
      latency_ms: res.latency_ms,
      bytes: res.bytes,
      completed: res.completed,
      backends: res.backends,
    });
  }

  /** A plugin's settings changed on reload (`config`) or its runtime state moved (`state`, e.g. a breaker). */
  emitPluginUpdated(
    plugin: string,
    scope: string,
    change: PluginUpdatedData['change'],
    from: unknown,
    to: unknown,
  ): void {
    if (!this.active) return;
    if (this.types.has('plugin_updated')) this.append('plugin_updated', { plugin, scope, change, from, to });
    // A runtime transition (a breaker opening) may change the node's status.
    if (change === 'state') this.checkHealth();
  }

  /** The node status now (what `node_health` would say), without taking a sample. */
  status(): HealthStatus {
    return this.probe.status();
  }

  /** Emits `node_health` now if the status changed since the last one; call it on any state transition. */
  checkHealth(): void {
    if (!this.active || !this.types.has('node_health')) return;
    if (this.probe.status() !== this.lastStatus) this.emitHealth();
  }

  /** Emits `node_health` now (the periodic timer calls this). */
  emitHealth(): void {
    if (!this.active || !this.types.has('node_health')) return;
    const data = this.probe.sample();
    this.lastStatus = data.status;
    this.append('node_health', data);
  }

  /**
   * Adds an in-process consumer; returns its unsubscribe. With `afterId` the retained events after it are
   * replayed synchronously first (after `onGap` if some are gone), so nothing interleaves.
   */
  subscribe(listener: EventListener, options: SubscribeOptions = {}): () => void {
    this.arm();
    if (options.afterId !== undefined) {
      const start = this.position(options.afterId);
      if (start.gap) options.onGap?.(start.gap);
      for (let seq = start.seq; seq < this.ring.nextSeq; seq++) {
        const stored = this.ring.get(seq);
        if (stored) listener(stored.event);
      }
    }
    this.listeners = [...this.listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners = this.listeners.filter((l) => l !== listener);
      if (this.listeners.length === 0) this.disarmLater();
    };
  }

  /**
   * Where a consumer resuming after `lastId` starts. Without an id it starts at the next event, or at the
   * oldest retained one with `fromOldest`. An id whose successors left the ring, an id this hub did not make
   * and an id from before a recording pause each come with a gap.
   */
  position(lastId: string | undefined, fromOldest = false): StartPosition {
    const oldest = this.ring.oldestSeq;
    const next = this.ring.nextSeq;
    if (lastId === undefined || lastId === '') return { seq: fromOldest ? oldest : next };
    const seq = this.ids.seqOf(lastId);
    if (seq === undefined || seq >= next)
      return { seq: oldest, gap: this.gap(oldest, lastId, oldest, false) };
    const resume = seq + 1;
    if (resume <= this.resumedAt) {
      const start = Math.max(resume, oldest);
      return { seq: start, gap: this.gap(start - resume, lastId, start, false) };
    }
    if (resume < oldest) return { seq: oldest, gap: this.gap(oldest - resume, lastId, oldest, true) };
    return { seq: resume };
  }

  private applySettings(s: EventsNamespace): void {
    this.types = new Set(s.types ?? EVENT_TYPES);
    this.redact = headerRedactor(s.redact_headers ?? []);
    this.sampled = createSampler(s.sample_rate ?? 1);
    this.healthIntervalMs = s.health_interval
      ? parseDuration(s.health_interval)
      : EVENT_HUB_DEFAULTS.healthIntervalMs;
  }

  private stopHealth(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.probe.stop();
  }

  private gap(missed: number, from: string, startSeq: number, exact: boolean): GapInfo {
    return { missed, from, oldest: this.ring.get(startSeq)?.event.id ?? null, exact };
  }

  private arm(): void {
    clearTimeout(this.retainTimer);
    this.retainTimer = undefined;
    if (this.active) return;
    this.active = true;
    this.resumedAt = this.ring.nextSeq;
  }

  private disarmLater(): void {
    if (this.retainMs === Number.POSITIVE_INFINITY) return;
    this.retainTimer = setTimeout(() => {
      if (this.listeners.length === 0) this.active = false;
    }, this.retainMs);
    this.retainTimer.unref();
  }

  private append<T extends EventType>(type: T, data: EventData<T>): void {
    const now = Date.now();
    const seq = this.ring.nextSeq;
    const event = createEnvelope(type, data, this.nodeId, now, this.ids.make(seq, now)) as Envelope;
    this.ring.push({ seq, event });
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as EventListener)(event);
      } catch (err) {
        this.logger?.error({ err, event_type: type }, 'event subscriber threw');
      }
    }
  }
}
