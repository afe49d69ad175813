import type { EventType, NodeHealthData, PluginUpdatedData } from '@switchyard/shared';
import { KIND } from '../handoff/layout.js';
import { type RequestFacts, writeJsonRecord, writeRequest, writeResponse } from '../handoff/records.js';
import type { HandoffWriter } from '../handoff/writer.js';
import type { EventHub } from '../hub.js';
import type { ResponseInfo } from '../observer.js';
import type { EventPolicy } from '../policy.js';

/** The request path's view of events when an event worker builds them: raw facts in, nothing built. */
export interface EventRecorder {
  /** Whether a request's facts are wanted now (one check per request when nothing consumes events). */
  readonly recording: boolean;
  /** `at`: the request's arrival (ms since the epoch). */
  requestStarted(facts: RequestFacts, at: number): void;
  requestFinished(facts: RequestFacts, res: ResponseInfo): void;
}

/**
 * Writes the facts of requests (and the rare plugin and health records) into the hand-off. A type is
 * written only when someone wants it (filtering at the source): the hub's own consumers (SSE, in-process
 * subscribers) want every emitted type; the worker's consumer (the event proxy) the types its filter keeps.
 * Sampling is decided here too, from the request id, so an unsampled request costs no record.
 */
export class HandoffRecorder implements EventRecorder {
  private policy: EventPolicy | undefined;
  private forHub = new Set<EventType>();
  private forWorker = new Set<EventType>();

  constructor(
    private readonly writer: HandoffWriter,
    private readonly hub: EventHub,
    /** The types the worker's consumer keeps; null when the worker has no consumer of its own. */
    private readonly consumerTypes: ReadonlySet<EventType> | null,
  ) {}

  get recording(): boolean {
    const wanted = this.wanted();
    return wanted.has('request') || wanted.has('response');
  }

  requestStarted(f: RequestFacts, at: number): void {
    const p = this.hub.settings;
    if (!this.wanted().has('request') || !p.sampled(f.request_id)) return;
    writeRequest(this.writer, f, at, p.maxHeaderBytes);
  }

  requestFinished(f: RequestFacts, res: ResponseInfo): void {
    if (!this.wanted().has('response') || !this.hub.settings.sampled(f.request_id)) return;
    writeResponse(this.writer, f, res, Date.now());
  }

  pluginUpdated(data: PluginUpdatedData): void {
    if (this.wanted().has('plugin_updated')) writeJsonRecord(this.writer, KIND.plugin, data, Date.now());
  }

  health(data: NodeHealthData): void {
    if (this.wanted().has('node_health')) writeJsonRecord(this.writer, KIND.health, data, Date.now());
  }

  /** The types wanted now; recomputed only when a reload changed the policy. */
  private wanted(): ReadonlySet<EventType> {
    const p = this.hub.settings;
    if (p !== this.policy) {
      this.policy = p;
      this.forHub = new Set(p.types);
      this.forWorker = new Set([...p.types].filter((t) => this.consumerTypes?.has(t)));
    }
    return this.hub.consuming ? this.forHub : this.forWorker;
  }
}
