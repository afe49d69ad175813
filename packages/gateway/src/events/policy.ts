import type { EventsNamespace } from '@switchyard/config';
import {
  EVENT_TYPES,
  type EventType,
  parseDuration,
  REDACTED,
  type RequestData,
  type ResponseData,
  redactQuery,
  redactUrl,
  redactUrlsIn,
  SENSITIVE_HEADERS,
  type SensitiveNames,
  sensitiveNames,
  sensitiveQueryNames,
} from '@switchyard/shared';
import type { RequestInfo, ResponseInfo } from './observer.js';
import { createSampler } from './sampler.js';

export const EVENT_DEFAULTS = {
  ringSize: 10_000,
  /** The SSE ring's byte bound: with the count bound, whichever is reached first. */
  ringMaxBytes: 64 * 1024 * 1024,
  /** Request header bytes (names and values) one `request` event carries; further headers are left out. */
  maxHeaderBytes: 8 * 1024,
  /**
   * A backend error's text one `response` event carries (UTF-16 units): with return_error_code it is the
   * backend's body, which could be megabytes.
   */
  maxErrorChars: 1024,
  /** The request thread → event worker hand-off. */
  handoffBytes: 32 * 1024 * 1024,
  healthIntervalMs: 10_000,
  /** The event worker's priority below the request thread's (Linux nice steps; 0: the same). */
  workerNice: 5,
  /** The event worker under SCHED_IDLE (Linux): it takes only CPU time the request thread leaves. */
  workerIdle: true,
} as const;

/** A backend error's text as an event carries it: its first EVENT_DEFAULTS.maxErrorChars characters. */
export function cutError(text: string): string {
  return text.length > EVENT_DEFAULTS.maxErrorChars ? text.slice(0, EVENT_DEFAULTS.maxErrorChars) : text;
}

/**
 * What `telemetry/events` decides, compiled once per (re)load: which types are emitted, which requests are
 * sampled, what is redacted and how many header bytes an event keeps. Pure: the event hub and the event
 * worker build the same data from the same facts.
 */
export class EventPolicy {
  readonly types: ReadonlySet<EventType>;
  readonly sampled: (requestId: string) => boolean;
  readonly healthIntervalMs: number;
  /** Whether requests to the health route (`/__health`) become events. */
  readonly recordHealthChecks: boolean;
  readonly maxHeaderBytes: number;
  /** Header names (lower case) whose values are redacted. */
  readonly hideHeaders: SensitiveNames;
  /** Query parameter names (lower case) whose values are redacted. */
  readonly hideQuery: SensitiveNames;

  constructor(readonly settings: EventsNamespace = {}) {
    this.types = new Set(settings.types ?? EVENT_TYPES);
    this.sampled = createSampler(settings.sample_rate ?? 1);
    this.healthIntervalMs = settings.health_interval
      ? parseDuration(settings.health_interval)
      : EVENT_DEFAULTS.healthIntervalMs;
    this.recordHealthChecks = settings.record_health_checks === true;
    this.maxHeaderBytes = settings.max_header_bytes ?? EVENT_DEFAULTS.maxHeaderBytes;
    this.hideHeaders = sensitiveNames(SENSITIVE_HEADERS, settings.redact_headers);
    this.hideQuery = sensitiveQueryNames(settings.redact_query);
  }

  /** The `request` event's data: sensitive headers and query values redacted, headers capped in bytes. */
  requestData(req: RequestInfo): RequestData {
    const headers: Record<string, string | string[]> = {};
    let room = this.maxHeaderBytes;
    let omitted = 0;
    for (const name in req.headers) {
      const raw = req.headers[name];
      if (raw === undefined) continue;
      const value = this.hideHeaders.has(name.toLowerCase()) ? REDACTED : raw;
      const size = name.length + (typeof value === 'string' ? value.length : value.join('').length);
      if (size > room) {
        omitted++;
        continue;
      }
      room -= size;
      headers[name] = value;
    }
    const data: RequestData = {
      ...req,
      path: redactUrl(req.path, this.hideQuery),
      query: redactQuery(req.query, this.hideQuery),
      headers,
    };
    omitted += req.headers_omitted ?? 0;
    if (omitted > 0) data.headers_omitted = omitted;
    return data;
  }

  /**
   * The `response` event's data: backend URLs with sensitive query values and passwords redacted, also
   * where a call's error text (cut to `maxErrorChars`) names its URL.
   */
  responseData(req: RequestInfo, res: ResponseInfo): ResponseData {
    return {
      request_id: req.request_id,
      method: req.method,
      path: redactUrl(req.path, this.hideQuery),
      endpoint: req.endpoint,
      status: res.status,
      latency_ms: res.latency_ms,
      bytes: res.bytes,
      completed: res.completed,
      backends: res.backends.map((b) => {
        const url = redactUrl(b.url, this.hideQuery);
        const error = b.error === undefined ? undefined : redactUrlsIn(cutError(b.error), this.hideQuery);
        return url === b.url && error === b.error ? b : { ...b, url, ...(error !== undefined && { error }) };
      }),
    };
  }
}
