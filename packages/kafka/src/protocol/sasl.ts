import type { Reader } from './reader.js';
import { ApiKey, request } from './request.js';

/** SaslHandshake v1: the mechanism; the exchange then runs in SaslAuthenticate requests. */
export function saslHandshakeRequest(clientId: string, mechanism: string): Buffer {
  return request(ApiKey.SaslHandshake, 1, clientId, (w) => w.string(mechanism));
}

export function parseSaslHandshake(r: Reader): { errorCode: number; mechanisms: string[] } {
  return { errorCode: r.int16(), mechanisms: r.array((m) => m.string()) };
}

/** SaslAuthenticate v0: one token of the mechanism's exchange. */
export function saslAuthenticateRequest(clientId: string, token: Buffer): Buffer {
  return request(ApiKey.SaslAuthenticate, 0, clientId, (w) => w.bytesField(token));
}

export function parseSaslAuthenticate(r: Reader): {
  errorCode: number;
  errorMessage: string | null;
  token: Buffer;
} {
  return {
    errorCode: r.int16(),
    errorMessage: r.nullableString(),
    token: r.nullableBytes() ?? Buffer.alloc(0),
  };
}
