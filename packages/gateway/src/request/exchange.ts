import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type BackendCall, type Logger, ulid } from '@switchyard/shared';
import { parseQuery, type RequestFacts } from '../events/handoff/records.js';
import type { GatewayObserver, RequestInfo } from '../events/observer.js';
import type { EventRecorder } from '../events/worker/recorder.js';
import type { GatewayMetrics } from '../metrics/index.js';

/** The status recorded for a request whose client left before its answer (not a status anyone is sent). */
const CLIENT_CLOSED_REQUEST = 499;

/** What every request needs from the running gateway. */
export interface Runtime {
  readonly logger: Logger;
  readonly observer: GatewayObserver | undefined;
  /** The observer given by the gateway's user alone (health checks skip the event hub, not it). */
  readonly userObserver: GatewayObserver | undefined;
  /** With an event worker: where the request's raw facts go (no event is built on this thread). */
  readonly recorder: EventRecorder | undefined;
  /** Whether requests to the health route become events (`telemetry/events.record_health_checks`). */
  readonly recordHealthChecks: boolean;
  /** Prometheus metrics, recorded at completion from the exchange itself; null when not collected. */
  readonly metrics: GatewayMetrics | null;
  /** Set once close() began: answers carry `Connection: close`. */
  readonly closing: boolean;
  /** Called once per request when its answer is complete. */
  requestDone(): void;
}

/** Routes hand requests to handlers of this shape; `params` are the raw `{param}` segments. */
export type RouteHandler = (x: Exchange, params: string[]) => void | Promise<void>;

/**
 * One client request and its answer. The request id, the child logger and the observer's data are made
 * only when something needs them, so a request nobody observes or logs costs no more than routing (and,
 * with metrics on, a few counter increments at completion).
 */
export class Exchange {
  readonly started = performance.now();
  /** Backend calls, recorded only when an observer is attached or metrics count them. */
  trace: BackendCall[] | null = null;
  /** The claims of the token `auth/validator` accepted; null without one. */
  claims: Record<string, unknown> | null = null;
  /** The matched endpoint pattern once `begin` was called ('' when no route matched). */
  private endpoint: string | null = null;
  private info: RequestInfo | null = null;
  private facts: RequestFacts | null = null;
  private healthCheck = false;
  private id: string | undefined;
  private logger: Logger | undefined;
  private ended = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly path: string,
    readonly query: string,
    readonly clientIp: string,
    readonly rt: Runtime,
  ) {}

  get requestId(): string {
    this.id ??= ulid();
    return this.id;
  }

  log(): Logger {
    this.logger ??= this.rt.logger.child({ request_id: this.requestId });
    return this.logger;
  }

  /**
   * The route is known: tell the observer a request arrived. `healthCheck`: the health route, whose
   * requests become events only when configured so.
   */
  begin(endpoint: string, healthCheck = false): void {
    this.endpoint = endpoint;
    this.healthCheck = healthCheck;
    if (this.rt.metrics?.backends) this.trace = [];
    const events = !healthCheck || this.rt.recordHealthChecks;
    const recorder = events ? this.rt.recorder : undefined;
    if (recorder?.recording) {
      const h = this.req.headers;
      // One clock read for the id and the record.
      const at = Date.now();
      this.id ??= ulid(at);
      this.facts = {
        request_id: this.id,
        method: this.req.method ?? 'GET',
        path: this.path,
        endpoint,
        query: this.query,
        client_ip: this.clientIp,
        headers: h,
        body_bytes: Number(h['content-length'] ?? 0) || 0,
      };
      this.trace ??= [];
      recorder.requestStarted(this.facts, at);
    }
    const observer = events ? this.rt.observer : this.rt.userObserver;
    if (!observer || observer.recording === false) return;
    const query = parseQuery(this.query);
    const h = this.req.headers;
    this.info = {
      request_id: this.requestId,
      method: this.req.method ?? 'GET',
      path: this.path,
      endpoint,
      query,
      client_ip: this.clientIp,
      // Node's parsed headers, not copied: observers treat them as read-only (the hub copies them redacted).
      headers: h as Record<string, string | string[]>,
      body_bytes: Number(h['content-length'] ?? 0) || 0,
    };
    this.trace ??= [];
    try {
      observer.requestStarted(this.info);
    } catch (err) {
      this.log().error({ err }, 'observer failed on requestStarted');
    }
  }

  /**
   * Writes a whole answer. A client that closed its connection first gets nothing, and the request is
   * recorded as 499 (nginx's "client closed request"): counting it as the 500 or 200 nobody received would
   * show a client's impatience as a gateway error in metrics and events.
   */
  send(status: number, headers: OutgoingHttpHeaders, body: string | Buffer | null, completed: boolean): void {
    if (this.res.destroyed && !this.res.headersSent) {
      this.finished(CLIENT_CLOSED_REQUEST, 0, false);
      return;
    }
    const bytes = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    headers['Content-Length'] = bytes;
    if (this.rt.closing) headers.Connection = 'close';
    this.res.writeHead(status, headers);
    this.res.end(body ?? undefined);
    this.finished(status, bytes, completed);
  }

  private observerOf(): GatewayObserver | undefined {
    return this.healthCheck && !this.rt.recordHealthChecks ? this.rt.userObserver : this.rt.observer;
  }

  /** The answer is complete (or abandoned): report it once. */
  finished(status: number, bytes: number, completed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const latency = performance.now() - this.started;
    if (this.info || this.facts) {
      const res = {
        status,
        latency_ms: Math.round(latency * 1000) / 1000,
        bytes,
        completed,
        backends: this.trace ?? [],
      };
      if (this.facts) this.rt.recorder?.requestFinished(this.facts, res);
      // The observer is someone else's code: its failure must not fail the request.
      if (this.info) {
        try {
          this.observerOf()?.requestFinished(this.info, res);
        } catch (err) {
          this.log().error({ err }, 'observer failed on requestFinished');
        }
      }
    }
    if (this.endpoint !== null)
      this.rt.metrics?.requestFinished(this.endpoint, this.req.method ?? 'GET', status, latency, this.trace);
    if (this.rt.logger.isLevelEnabled('debug')) {
      this.log().debug(
        {
          method: this.req.method,
          path: this.path,
          status,
          bytes,
          latency_ms: Math.round(latency * 1000) / 1000,
        },
        'request',
      );
    }
    this.rt.requestDone();
  }
}
