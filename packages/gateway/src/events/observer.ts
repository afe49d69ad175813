import type { BackendCall, RequestData } from '@switchyard/shared';

/**
 * What the gateway knows about a request when it arrives. `headers` are the request's own (not yet
 * redacted, not copied): read them, never change them.
 */
export type RequestInfo = RequestData;

/** What the gateway knows when the response is complete. */
export interface ResponseInfo {
  status: number;
  latency_ms: number;
  bytes: number;
  /** All backends answered in time. */
  completed: boolean;
  backends: BackendCall[];
}

/**
 * The gateway's hook for request/response events. The request path calls these synchronously and must
 * stay cheap: an observer with no consumer attached returns at once.
 */
export interface GatewayObserver {
  /**
   * False while nothing consumes events: the gateway then builds no request data at all, so events off
   * cost one property read per request. Absent means always recording.
   */
  readonly recording?: boolean;
  requestStarted(req: RequestInfo): void;
  requestFinished(req: RequestInfo, res: ResponseInfo): void;
}
