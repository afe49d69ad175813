import { hostname } from 'node:os';
import type { EventsNamespace } from '@switchyard/config';
import {
  createEnvelope,
  type Envelope,
  type EventData,
  type EventType,
  type HealthStatus,
  type Logger,
  type NodeHealthData,
  type PluginUpdatedData,
} from '@switchyard/shared';
import { HealthProbe, type HealthSources } from './health.js';
import { HubIds } from './ids.js';
import type { GatewayObserver, RequestInfo, ResponseInfo } from './observer.js';
import { EVENT_DEFAULTS, EventPolicy } from './policy.js';
import { SeqRing } from './ring.js';
import { StoredEvent } from './stored.js';

export { StoredEvent };

export const EVENT_HUB_DEFAULTS = {
  ringSize: EVENT_DEFAULTS.ringSize,
  ringMaxBytes: EVENT_DEFAULTS.ringMaxBytes,
  healthIntervalMs: EVENT_DEFAULTS.healthIntervalMs,
  /** How long the hub keeps recording after its last consumer left, so a reconnecting one loses nothing. */
  retainMs: 5 * 60_000,
} as const;

/** An event built elsewhere (the event worker), as it crosses to this hub: its place and its text. */
export interface ForwardedEvent {
  seq: number;
  id: string;
  type: EventType;
  json: string;
}

/**
 * Where a hub whose events are built by the event worker sends what it would otherwise build itself, and
 * how it tells the worker whether its own consumers (SSE streams, in-process subscribers) want events.
 */
export interface EventFeed {
  /** The worker has consumers of its own (the event proxy in `run`): events are recorded regardless. */
  readonly consumes: boolean;
  pluginUpdated(data: PluginUpdatedData): void;
  health(data: NodeHealthData): void;
  /** This hub's consumers want events from now on; returns the sequence number the next one gets. */
  forward(): number;
  /** This hub stopped recording. */
  stopForwarding(): void;
  configure(settings: EventsNamespace): void;
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
  /** The id tag (another hub's, to continue its numbering); random by default. */
  idTag?: number;
  /** The first sequence number [0]. */
  firstSeq?: number;
  /** The time part (ms) of the id before the first one (an event worker resuming its predecessor's ids). */
  idTime?: number;
  /**
   * The event worker, when it builds this hub's events: the hub then builds none itself; the events come
   * back through `ingest`, and the hub keeps the ring, the positions and the consumers.
   */
  feed?: EventFeed;
}

/** Inexact holes remembered (one per `--workers` worker that died with events unsent; the oldest go first). */
const MAX_UNCOUNTED = 1000;

/**
 * The gateway's event emitter. It records events only while a consumer is attached (an in-process
 * subscriber or an SSE stream, and for `retainMs` after the last one left): otherwise each hook is one
 * branch and a return, with no envelope built. Recorded events go to a bounded ring, from which consumers
 * resume by id, and to the subscribers.
 */
export class EventHub implements GatewayObserver {
  readonly nodeId: string;
  private readonly ring: SeqRing<StoredEvent>;
  private readonly ids: HubIds;
  // The policy follows a reload (see configure); the ring and the node id are fixed for the hub's life.
  private policy: EventPolicy = new EventPolicy();
  private readonly retainMs: number;
  private readonly probe: HealthProbe;
  private readonly logger: Logger | undefined;
  private readonly feed: EventFeed | undefined;
  private listeners: readonly EventListener[] = [];
  /** Called with the count when events were lost before they reached the ring (a hand-off overflow). */
  private gapListeners: readonly ((missed: number, exact: boolean) => void)[] = [];
  /**
   * Holes standing for an unknown number of lost events: sequence number → the known lower bound, oldest
   * first. Kept after they leave the ring, so a reader overtaken past one still learns the loss is inexact.
   */
  private readonly uncounted = new Map<number, number>();
  private watchers = 0;
  private wakers: readonly EventListener[] = [];
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
    this.ring = new SeqRing(
      s.ring_size ?? EVENT_HUB_DEFAULTS.ringSize,
      s.ring_max_bytes ?? EVENT_HUB_DEFAULTS.ringMaxBytes,
    );
    if (options.firstSeq) this.ring.startAt(options.firstSeq);
    this.ids = new HubIds(options.idTag, options.idTime);
    this.policy = new EventPolicy(s);
    this.retainMs = options.retainMs ?? EVENT_HUB_DEFAULTS.retainMs;
    this.probe = new HealthProbe(options.health ?? {});
    this.logger = options.logger;
    this.feed = options.feed;
  }

  /** Whether events are being recorded now (for this hub's consumers or, with a feed, the worker's). */
  get recording(): boolean {
    return this.active || this.feed?.consumes === true;
  }

  /** Whether this hub's own consumers want events. */
  get consuming(): boolean {
    return this.active;
  }

  /** The id tag, for an event worker that numbers this hub's events. */
  get idTag(): number {
    return this.ids.tagValue;
  }

  /** The time part (ms) of the last event id made. */
  get idTime(): number {
    return this.ids.time;
  }

  /** Positions the ring holds at most (its count bound). */
  get capacity(): number {
    return this.ring.capacity;
  }

  /** The compiled `telemetry/events` in force. */
  get settings(): EventPolicy {
    return this.policy;
  }

  get subscribers(): number {
    return this.listeners.length + this.watchers;
  }

  /** Positions held in the ring (holes of lost events included). */
  get retained(): number {
    return this.ring.size;
  }

  /** Bytes the ring holds (about). */
  get retainedBytes(): number {
    return this.ring.bytes;
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

  /**
   * The id of position `seq`: the event's, or for a hole one made from its sequence number, so a reader
   * that told the hole's gap resumes after it (`position`) instead of being told it again.
   */
  idAt(seq: number): string {
    return this.ring.get(seq)?.id ?? this.ids.make(seq, this.ids.time);
  }

  /**
   * For a hole at `seq` made by `loseUncounted`: the events it stands for, at least (0 when none are known
   * to be lost, only possibly). Undefined for an event or a hole of exactly one lost event.
   */
  uncountedAt(seq: number): number | undefined {
    return this.uncounted.get(seq);
  }

  /** The events lost with sequence numbers `from` to `to` (exclusive) gone: how many, and whether exactly. */
  missedBetween(from: number, to: number): { missed: number; exact: boolean } {
    let missed = to - from;
    let exact = true;
    for (const [seq, atLeast] of this.uncounted) {
      if (seq < from || seq >= to) continue;
      missed += atLeast - 1;
      exact = false;
    }
    return { missed, exact };
  }

  /** Starts the periodic `node_health` (when that type is enabled). */
  start(): void {
    this.started = true;
    if (this.healthTimer || !this.policy.types.has('node_health')) return;
    this.probe.start();
    this.healthTimer = setInterval(() => this.emitHealth(), this.policy.healthIntervalMs);
    this.healthTimer.unref();
  }

  /**
   * Applies a reloaded `telemetry/events`: types, header redaction, sampling and the health interval take
   * effect at once. `ring_size` and `node_id` keep their first values (a ring is never resized under its
   * readers, and a node keeps one id); the return value names the keys that were left unchanged.
   */
  configure(settings: EventsNamespace = {}): string[] {
    this.policy = new EventPolicy(settings);
    this.feed?.configure(settings);
    if (this.started) {
      this.stopHealth();
      this.start();
    }
    const fixed: string[] = [];
    if ((settings.ring_size ?? EVENT_HUB_DEFAULTS.ringSize) !== this.ring.capacity) fixed.push('ring_size');
    if ((settings.ring_max_bytes ?? EVENT_HUB_DEFAULTS.ringMaxBytes) !== this.ring.maxBytes)
      fixed.push('ring_max_bytes');
    if (settings.node_id !== undefined && settings.node_id !== this.nodeId) fixed.push('node_id');
    return fixed;
  }

  close(): void {
    this.started = false;
    this.stopHealth();
    clearTimeout(this.retainTimer);
    this.listeners = [];
    this.gapListeners = [];
    this.watchers = 0;
    this.active = false;
  }

  /** A request arrived (`at`: when, in ms, if not now). */
  requestStarted(req: RequestInfo, at?: number): void {
    const p = this.policy;
    if (!this.active || !p.types.has('request') || !p.sampled(req.request_id)) return;
    this.append('request', p.requestData(req), at);
  }

  /** A request's answer is complete (`at`: when, in ms, if not now). */
  requestFinished(req: RequestInfo, res: ResponseInfo, at?: number): void {
    const p = this.policy;
    if (!this.active || !p.types.has('response') || !p.sampled(req.request_id)) return;
    this.append('response', p.responseData(req, res), at);
  }

  /** A plugin's settings changed on reload (`config`) or its runtime state moved (`state`, e.g. a breaker). */
  emitPluginUpdated(
    plugin: string,
    scope: string,
    change: PluginUpdatedData['change'],
    from: unknown,
    to: unknown,
  ): void {
    if (!this.recording) return;
    if (this.policy.types.has('plugin_updated')) {
      const data = { plugin, scope, change, from, to };
      if (this.feed) this.feed.pluginUpdated(data);
      else this.append('plugin_updated', data);
    }
    // A runtime transition (a breaker opening) may change the node's status.
    if (change === 'state') this.checkHealth();
  }

  /** Whether an event of `type` is recorded now (with a request id: whether that request is sampled). */
  wants(type: EventType, requestId?: string): boolean {
    const p = this.policy;
    return this.active && p.types.has(type) && (requestId === undefined || p.sampled(requestId));
  }

  /** The id of the event the hub records next, made at `at` (ms). */
  nextId(at: number): string {
    return this.ids.make(this.ring.nextSeq, at);
  }

  /**
   * Records the next event from its envelope's UTF-8 bytes, which the caller wrote with the id `nextId`
   * gave (the event worker, straight from a hand-off record; `at` in ms), once `wants` said yes. Its text
   * and its object are made only if a consumer asks for them. The bytes are kept, never written to.
   */
  appendEncoded(type: EventType, at: number, requestId: string | undefined, id: string, utf8: Buffer): void {
    const seq = this.ring.nextSeq;
    const facts = { timestamp: Math.floor(at / 1000), requestId };
    const stored = new StoredEvent(seq, id, type, undefined, undefined, facts, utf8);
    this.ring.push(stored, stored.bytes);
    this.notify(stored);
  }

  /** `plugin_updated` as the event worker builds it: the data as it arrived (`at` in ms). */
  pluginUpdated(data: PluginUpdatedData, at?: number): void {
    if (this.active && this.policy.types.has('plugin_updated')) this.append('plugin_updated', data, at);
  }

  /** `node_health` as the event worker builds it: a sample taken on the request thread (`at` in ms). */
  health(data: NodeHealthData, at?: number): void {
    if (this.active && this.policy.types.has('node_health')) this.append('node_health', data, at);
  }

  /** The node status now (what `node_health` would say), without taking a sample. */
  status(): HealthStatus {
    return this.probe.status();
  }

  /** Emits `node_health` now if the status changed since the last one; call it on any state transition. */
  checkHealth(): void {
    if (!this.recording || !this.policy.types.has('node_health')) return;
    if (this.probe.status() !== this.lastStatus) this.emitHealth();
  }

  /** Emits `node_health` now (the periodic timer calls this). */
  emitHealth(): void {
    if (!this.recording || !this.policy.types.has('node_health')) return;
    const data = this.probe.sample();
    this.lastStatus = data.status;
    if (this.feed) this.feed.health(data);
    else this.append('node_health', data);
  }

  /**
   * Takes events the event worker built (in sequence order). A sequence number skipped on the way is a
   * hole: its event was lost before it got here, and readers report it as missed.
   */
  ingest(events: readonly ForwardedEvent[]): void {
    for (const e of events) {
      if (e.seq < this.ring.nextSeq) continue;
      this.lose(e.seq - this.ring.nextSeq);
      const stored = new StoredEvent(e.seq, e.id, e.type, e.json);
      this.ring.push(stored, stored.bytes);
      this.notify(stored);
    }
  }

  /**
   * Takes events another hub built (the workers of `--workers`, whose events this node's hub merges),
   * after `lost` events that never arrived (a hole). Each gets this hub's next sequence number and an id
   * made from it, written over the id in its text, so ids stay unique and resumable across the sources.
   */
  adopt(events: readonly { type: EventType; json: string }[], lost = 0): void {
    this.lose(lost);
    for (const e of events) {
      const seq = this.ring.nextSeq;
      const id = this.ids.make(seq, Date.now());
      const stored = new StoredEvent(seq, id, e.type, withId(e.json, id));
      this.ring.push(stored, stored.bytes);
      this.notify(stored);
    }
  }

  /** `count` events were lost before they reached the ring: their sequence numbers become a hole. */
  lose(count: number): void {
    if (count <= 0) return;
    this.ring.skip(count);
    for (const g of this.gapListeners) g(count, true);
    this.wakeAll();
  }

  /**
   * An unknown number of events was lost, `atLeast` of them known (a `--workers` worker killed before it
   * forwarded what it had recorded): one sequence number becomes a hole that readers report as an inexact
   * gap (`exact: false`, `missed` the lower bound), so the loss is told even when nothing is counted.
   */
  loseUncounted(atLeast: number): void {
    if (this.uncounted.size >= MAX_UNCOUNTED)
      this.uncounted.delete(this.uncounted.keys().next().value as number);
    this.uncounted.set(this.ring.nextSeq, atLeast);
    this.ring.skip(1);
    for (const g of this.gapListeners) g(atLeast, false);
    this.wakeAll();
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
        const uncounted = this.uncounted.get(seq);
        if (stored) listener(stored.event);
        else
          options.onGap?.({
            missed: uncounted ?? 1,
            from: null,
            oldest: null,
            exact: uncounted === undefined,
          });
      }
    }
    this.listeners = [...this.listeners, listener];
    const onGap = options.onGap;
    const gapListener = onGap
      ? (missed: number, exact: boolean) => onGap({ missed, from: null, oldest: null, exact })
      : undefined;
    if (gapListener) this.gapListeners = [...this.gapListeners, gapListener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners = this.listeners.filter((l) => l !== listener);
      this.gapListeners = this.gapListeners.filter((l) => l !== gapListener);
      if (this.subscribers === 0) this.disarmLater();
    };
  }

  /**
   * Adds a consumer that reads the ring itself (an SSE stream, the proxy's in-process source): `wake` is
   * called, synchronously and without the event, whenever the ring moved on. Returns its unsubscribe.
   */
  watch(wake: () => void): () => void {
    this.arm();
    this.watchers++;
    const listener: EventListener = () => wake();
    this.wakers = [...this.wakers, listener];
    let watching = true;
    return () => {
      if (!watching) return;
      watching = false;
      this.watchers--;
      this.wakers = this.wakers.filter((l) => l !== listener);
      if (this.subscribers === 0) this.disarmLater();
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
    if (resume < oldest) {
      const { missed, exact } = this.missedBetween(resume, oldest);
      return { seq: oldest, gap: this.gap(missed, lastId, oldest, exact) };
    }
    return { seq: resume };
  }

  private stopHealth(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.probe.stop();
  }

  private gap(missed: number, from: string, startSeq: number, exact: boolean): GapInfo {
    return { missed, from, oldest: this.ring.get(startSeq)?.id ?? null, exact };
  }

  private arm(): void {
    clearTimeout(this.retainTimer);
    this.retainTimer = undefined;
    if (this.active) return;
    this.active = true;
    // With a feed, the worker numbers the events: the ring continues from its next one.
    if (this.feed) {
      const next = this.feed.forward();
      if (next > this.ring.nextSeq) {
        if (this.ring.size === 0) this.ring.startAt(next);
        else this.ring.skip(next - this.ring.nextSeq);
      }
    }
    this.resumedAt = this.ring.nextSeq;
  }

  private disarmLater(): void {
    if (this.retainMs === Number.POSITIVE_INFINITY) return;
    this.retainTimer = setTimeout(() => {
      if (this.subscribers > 0) return;
      this.active = false;
      this.feed?.stopForwarding();
    }, this.retainMs);
    this.retainTimer.unref();
  }

  /** Builds, numbers and stores an event (`at`: when it happened, in ms), then tells the consumers. */
  private append<T extends EventType>(type: T, data: EventData<T>, at?: number): void {
    const now = at ?? Date.now();
    const seq = this.ring.nextSeq;
    const event = createEnvelope(type, data, this.nodeId, now, this.ids.make(seq, now)) as Envelope;
    const stored = StoredEvent.of(seq, event);
    this.ring.push(stored, stored.bytes);
    this.notify(stored);
  }

  private notify(stored: StoredEvent): void {
    this.wakeAll();
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    const event = stored.event;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as EventListener)(event);
      } catch (err) {
        this.logger?.error({ err, event_type: stored.type }, 'event subscriber threw');
      }
    }
  }

  private wakeAll(): void {
    const wakers = this.wakers;
    for (let i = 0; i < wakers.length; i++) {
      try {
        (wakers[i] as EventListener)(undefined as never);
      } catch (err) {
        this.logger?.error({ err }, 'event stream threw');
      }
    }
  }
}

const ID_PREFIX = '{"id":"';

/** An envelope's text with its id replaced: in place when the id leads the text, as createEnvelope orders it. */
function withId(json: string, id: string): string {
  const end = json.startsWith(ID_PREFIX) ? json.indexOf('"', ID_PREFIX.length) : -1;
  if (end > 0) return ID_PREFIX + id + json.slice(end);
  const event = JSON.parse(json) as Envelope;
  return JSON.stringify({ ...event, id });
}
