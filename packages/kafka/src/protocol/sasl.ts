import type { Reader } from './reader.js';
import { ApiKey, request } from './request.js';

/** SaslHandshake v1: the mechanism; the exchange then runs in SaslAuthenticate requests. */
export function saslHandshakeRequest(clientId: string, version: number, mechanism: string): Buffer {
  return request(ApiKey.SaslHandshake, version, clientId, (w) => w.string(mechanism));
}

export function parseSaslHandshake(r: Reader): { errorCode: number; mechanisms: string[] } {
  return { errorCode: r.int16(), mechanisms: r.array((m) => m.string()) };
}

/** SaslAuthenticate v0..v1: one token of the mechanism's exchange. */
export function saslAuthenticateRequest(clientId: string, version: number, token: Buffer): Buffer {
  return request(ApiKey.SaslAuthenticate, version, clientId, (w) => w.bytesField(token));
}

export interface SaslAuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  token: Buffer;
  /** v1: how long the broker keeps the session (0: no limit, or a v0 answer). */
  sessionLifetimeMs: number;
}

export function parseSaslAuthenticate(r: Reader, version: number): SaslAuthenticateAnswer {
  return {
    errorCode: r.int16(),
    errorMessage: r.nullableString(),
    token: r.nullableBytes() ?? Buffer.alloc(0),
    sessionLifetimeMs: version >= 1 ? r.int64() : 0,
  };
}
