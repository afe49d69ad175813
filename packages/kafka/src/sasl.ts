import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { KafkaError, KafkaProtocolError } from './errors.js';

const pbkdf2Async = promisify(pbkdf2);

export type SaslOptions =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      /** The bearer token for each new connection: cache it and refresh it before it expires (see `OAuthToken`). */
      token: () => Promise<string>;
    };

/** One SASL exchange: `respond(challenge)` gives the next client token, or undefined when done. */
export interface SaslSession {
  readonly mechanism: string;
  /** The first token (sent without a challenge). */
  start(): Buffer | Promise<Buffer>;
  /** The broker's answer to the last token; the next token, or undefined when the exchange is complete. */
  respond(challenge: Buffer): Promise<Buffer | undefined>;
}

export function saslSession(options: SaslOptions): SaslSession {
  switch (options.mechanism) {
    case 'plain':
      return plainSession(options.username, options.password);
    case 'scram-sha-256':
      return new ScramSession('sha256', options.username, options.password);
    case 'scram-sha-512':
      return new ScramSession('sha512', options.username, options.password);
    case 'oauthbearer':
      return oauthBearerSession(options.token);
  }
}

/**
 * RFC 7628 as Kafka speaks it (KIP-255): one client message, "n,,\x01auth=Bearer <token>\x01\x01". A broker
 * that refuses the token answers with a JSON error; the client acknowledges it with "\x01" and the broker then
 * fails the exchange (SASL_AUTHENTICATION_FAILED, with its reason).
 */
function oauthBearerSession(token: () => Promise<string>): SaslSession {
  return {
    mechanism: 'OAUTHBEARER',
    start: async () => Buffer.from(`n,,\x01auth=Bearer ${await token()}\x01\x01`),
    respond: async (challenge) => (challenge.length === 0 ? undefined : Buffer.from('\x01')),
  };
}

/** RFC 4616: one token, "\0user\0password". */
function plainSession(username: string, password: string): SaslSession {
  return {
    mechanism: 'PLAIN',
    start: () => Buffer.from(`\0${username}\0${password}`),
    respond: async () => undefined,
  };
}

type ScramHash = 'sha256' | 'sha512';

/**
 * SCRAM client (RFC 5802, SHA-256 per RFC 7677, SHA-512 as Kafka adds it), without channel binding
 * ("n,,"). The password is used as given (no SASLprep), as Kafka's own clients do.
 */
export class ScramSession implements SaslSession {
  readonly mechanism: string;
  private readonly clientNonce: string;
  private readonly firstBare: string;
  private serverSignature: Buffer | undefined;
  private step = 0;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    /** Fixed only by tests (RFC vectors); random otherwise. */
    clientNonce = randomBytes(24).toString('base64'),
  ) {
    this.mechanism = hash === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
    this.clientNonce = clientNonce;
    this.firstBare = `n=${saslName(username)},r=${clientNonce}`;
  }

  start(): Buffer {
    return Buffer.from(`n,,${this.firstBare}`);
  }

  async respond(challenge: Buffer): Promise<Buffer | undefined> {
    this.step++;
    if (this.step === 1) return Buffer.from(await this.clientFinal(challenge.toString('utf8')));
    if (this.step === 2) {
      this.verifyServerFinal(challenge.toString('utf8'));
      return undefined;
    }
    throw new KafkaProtocolError(`${this.mechanism}: unexpected extra challenge`);
  }

  /** The client-final-message for the server-first-message. */
  async clientFinal(serverFirst: string): Promise<string> {
    const fields = attributes(serverFirst);
    const nonce = fields.get('r');
    const salt = fields.get('s');
    const iterations = Number(fields.get('i'));
    if (fields.has('e')) throw scramFailure(this.mechanism, fields.get('e') as string);
    if (!nonce?.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw scramFailure(this.mechanism, 'server nonce does not extend the client nonce');
    }
    if (salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
      throw scramFailure(this.mechanism, `malformed server-first-message "${serverFirst}"`);
    }
    const size = this.hash === 'sha256' ? 32 : 64;
    const salted = await pbkdf2Async(this.password, Buffer.from(salt, 'base64'), iterations, size, this.hash);
    const clientKey = this.hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,")
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const signature = this.hmac(storedKey, authMessage);
    const proof = Buffer.alloc(size);
    for (let i = 0; i < size; i++) proof[i] = (clientKey[i] as number) ^ (signature[i] as number);
    this.serverSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final-message proves the server knows the password too. */
  verifyServerFinal(serverFinal: string): void {
    const fields = attributes(serverFinal);
    if (fields.has('e')) throw scramFailure(this.mechanism, fields.get('e') as string);
    const v = Buffer.from(fields.get('v') ?? '', 'base64');
    const expected = this.serverSignature;
    if (!expected || v.length !== expected.length || !timingSafeEqual(v, expected)) {
      throw scramFailure(this.mechanism, 'server signature does not match');
    }
  }

  private hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.hash, key).update(data).digest();
  }
}

/** RFC 5802 saslname: "=" and "," escaped. */
function saslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part.slice(0, 1), part.slice(2));
  }
  return out;
}

function scramFailure(mechanism: string, reason: string): KafkaError {
  return new KafkaError(58, { message: `${mechanism}: ${reason}` });
}
