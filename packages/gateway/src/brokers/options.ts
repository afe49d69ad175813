import type { Decoder } from '../backend/decode.js';
import type { HeaderPolicy } from '../backend/forward.js';
import type { Transform } from '../transform/formatter.js';

/** What a broker backend is built from, besides its namespace. */
export interface BrokerBackendOptions {
  /** `endpoints[0] (GET /x) backend[0]`, for errors. */
  where: string;
  /** The backend's hosts (its own, or the root's). */
  hosts: readonly string[];
  method: string;
  /** The endpoint's `{param}` names, in order. */
  names: readonly string[];
  decode: Decoder;
  /** `switchyard/backend` `max_body_bytes`: a consumed message over it is not decoded. */
  maxBodyBytes: number;
  format: Transform | null;
  headers: HeaderPolicy;
}
