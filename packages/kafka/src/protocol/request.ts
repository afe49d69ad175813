import { Writer } from './writer.js';

export const ApiKey = {
  Produce: 0,
  Metadata: 3,
  SaslHandshake: 17,
  ApiVersions: 18,
  InitProducerId: 22,
  SaslAuthenticate: 36,
} as const;

/** Where the correlation id sits in a frame (after size, api key, api version); the connection fills it in. */
export const CORRELATION_ID_OFFSET = 8;

/**
 * Starts a request frame in `w`: a size placeholder and request header v1 (api key, version, correlation
 * id 0, client id). The body follows; `endRequest` fills in the size.
 */
export function beginRequest(w: Writer, apiKey: number, apiVersion: number, clientId: string): void {
  w.int32(0);
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(0);
  w.string(clientId);
}

export function endRequest(w: Writer): Buffer {
  w.int32At(0, w.pos - 4);
  return w.bytes();
}

/** A whole frame for a small request whose body `write` produces. */
export function request(
  apiKey: number,
  apiVersion: number,
  clientId: string,
  write: (w: Writer) => void,
): Buffer {
  const w = new Writer(128);
  beginRequest(w, apiKey, apiVersion, clientId);
  write(w);
  return endRequest(w);
}
