import type { IncomingHttpHeaders } from 'node:http';
import type { BackendCall as BackendCallInfo } from '@switchyard/shared';
import type { Scope } from './scope.js';

/** Data built from one backend (or a merge of several), as lura's proxy.Response. */
export interface ProxyResponse {
  data: Record<string, unknown>;
  /** Every backend answered in time with a usable body. */
  complete: boolean;
  /** Headers for the client, set by a Lua script (lura's Metadata.Headers); absent otherwise. */
  headers?: Record<string, string[]>;
}

export interface ProxyResult {
  response: ProxyResponse | null;
  error: Error | null;
}

/** What the backends of one client request are built from. */
export interface ProxyRequest {
  method: string;
  /** The path the client asked for (`validation/cel`'s `req_path`). */
  path: string;
  /** Decoded `{param}` values, in the order of the endpoint pattern. */
  params: string[];
  /** The validated token's claims, for `{JWT.claim}` placeholders; null without auth/validator. */
  claims: Record<string, unknown> | null;
  /** Values for sequential `{respN_field}` placeholders, set by the sequential merge. */
  sequential: Map<string, string> | null;
  /** The raw query string, without `?` ('' when none). */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer | null;
  clientIp: string;
  host: string;
  scope: Scope;
  /** Backend calls, recorded only when an observer is attached. */
  trace: BackendCallInfo[] | null;
  /**
   * The trace context (`traceparent`, lower-case names) telemetry/opentelemetry gives this backend call:
   * sent in place of the client's headers of the same names, whatever `input_headers` says.
   */
  propagation?: Readonly<Record<string, string>>;
}

/** One stage of the pipeline (lura's proxy.Proxy): a backend, a merge of backends, or a wrapper around either. */
export type Stage = (req: ProxyRequest) => Promise<ProxyResult>;

export const failed = (error: Error): ProxyResult => ({ response: null, error });
