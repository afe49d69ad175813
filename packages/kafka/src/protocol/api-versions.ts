import type { Reader } from './reader.js';
import { ApiKey, request } from './request.js';

export interface ApiVersionRange {
  min: number;
  max: number;
}

/** ApiVersions v0: an empty body. */
export function apiVersionsRequest(clientId: string): Buffer {
  return request(ApiKey.ApiVersions, 0, clientId, () => undefined);
}

export function parseApiVersions(r: Reader): { errorCode: number; versions: Map<number, ApiVersionRange> } {
  const errorCode = r.int16();
  const versions = new Map<number, ApiVersionRange>();
  for (const [key, range] of r.array((a) => [a.int16(), { min: a.int16(), max: a.int16() }] as const)) {
    versions.set(key, range);
  }
  return { errorCode, versions };
}
