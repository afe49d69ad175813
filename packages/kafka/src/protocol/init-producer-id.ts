import type { Reader } from './reader.js';
import { ApiKey, request } from './request.js';

/** InitProducerId v0..v1 without a transactional id: a producer id and epoch for an idempotent producer. */
export function initProducerIdRequest(clientId: string, version: number): Buffer {
  return request(ApiKey.InitProducerId, version, clientId, (w) => {
    w.string(null); // transactional_id
    w.int32(-1); // transaction_timeout_ms: unused without a transactional id
  });
}

export interface ProducerIdentity {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function parseInitProducerId(r: Reader): ProducerIdentity {
  r.int32(); // throttle_time_ms
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}
