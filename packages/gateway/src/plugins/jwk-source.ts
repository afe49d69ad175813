import { readFileSync } from 'node:fs';
import { SwitchyardError } from '@switchyard/shared';
import { importJWK, type JWK } from 'jose';
import { Agent, request } from 'undici';
import { redactUrl } from '../brokers/redact.js';

/** A verification key as jose takes it. */
export type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/** Finds the key a token names (`kid`) for the configured algorithm; null when there is none. */
export interface KeySource {
  key(kid: string, alg: string): Promise<VerifyKey | null>;
}

/** How long a JWK URL may take to answer, and how large its answer may be. */
export const JWK_FETCH_TIMEOUT_MS = 5000;
export const JWK_MAX_BYTES = 1024 * 1024;
/** An unknown `kid` refetches the set at most this often, so random kids cannot hammer the key server. */
export const JWK_REFETCH_COOLDOWN_MS = 1000;

/** A set of keys by `kid`, with the keys imported once per algorithm. */
class KeySet {
  private readonly imported = new Map<string, Promise<VerifyKey>>();

  constructor(private readonly byKid: ReadonlyMap<string, JWK>) {}

  has(kid: string): boolean {
    return this.byKid.has(kid);
  }

  key(kid: string, alg: string): Promise<VerifyKey | null> {
    const jwk = this.byKid.get(kid);
    if (!jwk) return Promise.resolve(null);
    // A key bound to another algorithm (or to encryption) never verifies this token.
    if ((jwk.alg !== undefined && jwk.alg !== alg) || (jwk.use !== undefined && jwk.use !== 'sig'))
      return Promise.resolve(null);
    const id = `${kid}\n${alg}`;
    let k = this.imported.get(id);
    if (!k) {
      k = importJWK(jwk, alg);
      this.imported.set(id, k);
    }
    return k;
  }
}

function parseSet(text: string, where: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${where}: not a JWK set (no "keys" array)`);
  const byKid = new Map<string, JWK>();
  for (const k of keys as JWK[]) if (k && typeof k.kid === 'string') byKid.set(k.kid, k);
  return new KeySet(byKid);
}

/** `jwk_local_path`: a JWK set read once, when routes are compiled. */
export function localKeys(path: string, where: string): KeySource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: cannot read jwk_local_path ${path}`, {
      cause: err,
    });
  }
  let set: KeySet;
  try {
    set = parseSet(text, `jwk_local_path ${path}`);
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: ${(err as Error).message}`);
  }
  return { key: (kid, alg) => set.key(kid, alg) };
}

let secureAgent: Agent | undefined;
let insecureAgent: Agent | undefined;
/** Process-wide agents for key servers: few connections, short keep-alive. */
function agentFor(insecure: boolean): Agent {
  if (insecure) {
    insecureAgent ??= new Agent({
      connections: 4,
      keepAliveTimeout: 4000,
      connect: { rejectUnauthorized: false },
    });
    return insecureAgent;
  }
  secureAgent ??= new Agent({ connections: 4, keepAliveTimeout: 4000 });
  return secureAgent;
}

export interface RemoteKeyOptions {
  /** Keep the set for `cacheMs`; without it the set is fetched for every token, as KrakenD does. */
  cache: boolean;
  cacheMs: number;
  /** `disable_jwk_security`: http URLs and unverified TLS certificates are accepted. */
  insecure: boolean;
}

/** `jwk_url`: the set fetched through undici, cached, refetched when a token names an unknown `kid`. */
export class RemoteKeys implements KeySource {
  private set: KeySet | null = null;
  private fetchedAt = 0;
  private pending: Promise<KeySet> | null = null;
  /** The URL without its user info, which undici would ignore. */
  private readonly target: string;
  /** What messages name: the URL without its password. */
  private readonly shown: string;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  constructor(
    url: string,
    private readonly options: RemoteKeyOptions,
  ) {
    this.shown = redactUrl(url);
    const u = new URL(url);
    // A user in the URL is sent as Basic auth, as Go's http.Client does for krakend-jose.
    if (u.username || u.password) {
      const user = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    this.target = u.toString();
  }

  async key(kid: string, alg: string): Promise<VerifyKey | null> {
    const now = Date.now();
    let set = this.set;
    const fresh = set !== null && this.options.cache && now - this.fetchedAt < this.options.cacheMs;
    const refetch =
      !fresh || (set !== null && !set.has(kid) && now - this.fetchedAt >= JWK_REFETCH_COOLDOWN_MS);
    if (refetch) set = await this.fetch();
    return set ? set.key(kid, alg) : null;
  }

  /** One fetch at a time: concurrent requests share it. */
  private fetch(): Promise<KeySet> {
    this.pending ??= this.load().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async load(): Promise<KeySet> {
    const res = await request(this.target, {
      dispatcher: agentFor(this.options.insecure),
      headersTimeout: JWK_FETCH_TIMEOUT_MS,
      bodyTimeout: JWK_FETCH_TIMEOUT_MS,
      headers: this.headers,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > JWK_MAX_BYTES) {
        res.body.destroy();
        throw new Error(`JWK set at ${this.shown} is larger than ${JWK_MAX_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    if (res.statusCode !== 200) throw new Error(`JWK set at ${this.shown} answered ${res.statusCode}`);
    const set = parseSet(Buffer.concat(chunks).toString('utf8'), `JWK set at ${this.shown}`);
    this.set = set;
    this.fetchedAt = Date.now();
    return set;
  }
}
