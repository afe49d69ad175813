import type { BackendCall as BackendCallInfo } from '@switchyard/shared';
import type { Decoder } from '../backend/decode.js';
import type { SequentialSlot } from '../backend/target.js';
import { failed, type ProxyRequest, type ProxyResult } from '../pipeline/types.js';
import type { Transform } from '../transform/formatter.js';

/** What an endpoint calls for a backend that is a message broker rather than an HTTP server. */
export interface BrokerBackend {
  call(req: ProxyRequest): Promise<ProxyResult>;
  readonly sequentialSlots: SequentialSlot[];
  readonly poolKeys: string[];
}

/** Turns a message body into the backend's data, as lura decodes an HTTP body (an empty one is `{}`). */
export function messageData(
  body: Buffer,
  what: string,
  decode: Decoder,
  format: Transform | null,
): Record<string, unknown> {
  // KrakenD's brokers ignore the decoder's io.EOF: an empty message is empty data.
  const data = body.length === 0 ? {} : decode(body, what);
  return format ? format(data) : data;
}

/** A broker backend from its per-request work, recording each call for the `response` event. */
export function brokerBackend(
  what: string,
  method: string,
  work: (req: ProxyRequest) => Promise<Record<string, unknown>>,
): BrokerBackend {
  return {
    sequentialSlots: [],
    poolKeys: [],
    async call(req) {
      const started = performance.now();
      let result: ProxyResult;
      try {
        result = { response: { data: await work(req), complete: true }, error: null };
      } catch (err) {
        result = failed(err as Error);
      }
      if (req.trace) req.trace.push(callInfo(what, method, started, result.error));
      return result;
    },
  };
}

function callInfo(url: string, method: string, started: number, error: Error | null): BackendCallInfo {
  return {
    url,
    method,
    status: error ? null : 200,
    latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
    ...(error ? { error: error.message } : {}),
  };
}
