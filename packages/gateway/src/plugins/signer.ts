import type { SignerNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import { CompactSign, FlattenedSign } from 'jose';
import { goJson } from '../encode/go-json.js';
import type { ProxyResult } from '../pipeline/types.js';
import type { Exchange } from '../request/exchange.js';
import { type KeySource, localKeys, RemoteKeys, type VerifyKey } from './jwk-source.js';

export const SIGNER = 'auth/signer';

/** Settings of krakend-jose's signer that Switchyard does not apply: warned once at compile. */
const UNSUPPORTED = [
  'jwk_local_ca',
  'jwk_fingerprints',
  'cipher_suites',
  'secret_url',
  'cypher_key',
] as const;
const DEFAULT_CACHE_S = 15 * 60;
const JSON_TYPE = 'application/json; charset=utf-8';

/** Answers one request with the endpoint's data, its `keys_to_sign` fields turned into JWS. */
export type SignedAnswer = (x: Exchange, result: ProxyResult) => Promise<void>;

/**
 * `auth/signer` as krakend-jose's TokenSigner answers: each `keys_to_sign` field of the data that holds
 * an object is replaced by that object, as Go's JSON, signed with `alg` by the key `kid` of the JWK set
 * (`jwk_url`, or `jwk_local_path`), headers `alg`, `kid` and `typ` [JWT]: compact, or with `full` the
 * JSON (flattened) serialization, as a string. The answer is 200 JSON without the gateway's completion
 * and cache headers. Any backend failure, even a partial one, or a failed signature answers 400 with no
 * body; a signer that cannot be built (a jwk_url not https without `disable_jwk_security` — which a
 * local path needs too in KrakenD —, no key source, an unreadable set, no key `kid`, a public key)
 * answers 401 with no body, logged without the key.
 */
export function compileSigner(cfg: SignerNamespace, where: string, logger: Logger): SignedAnswer {
  const log = logger.child({ endpoint: where, plugin: SIGNER });
  for (const key of UNSUPPORTED)
    if (cfg[key] !== undefined)
      log.warn({ setting: `${SIGNER}.${key}` }, 'not implemented by Switchyard; ignored');
  let source: KeySource | null = null;
  try {
    source = keySource(cfg, where);
  } catch (err) {
    log.error({ reason: (err as Error).message }, 'unable to create the signer; the endpoint answers 401');
  }
  const keys = cfg.keys_to_sign ?? [];
  const alg = cfg.alg;
  const header = { alg, kid: cfg.kid, typ: cfg.typ || 'JWT' };
  const encoder = new TextEncoder();
  const sign = async (key: VerifyKey, value: Record<string, unknown>): Promise<string> => {
    const payload = encoder.encode(goJson(value));
    if (cfg.full) {
      const jws = await new FlattenedSign(payload).setProtectedHeader(header).sign(key);
      return goJson({ payload: jws.payload, protected: jws.protected, signature: jws.signature });
    }
    return new CompactSign(payload).setProtectedHeader(header).sign(key);
  };
  // The key, once found; a set that could not be fetched is asked again by the next request.
  let found: Promise<VerifyKey | null> | null = null;
  const key = (): Promise<VerifyKey | null> => {
    if (!source) return Promise.resolve(null);
    found ??= source.key(cfg.kid, alg).then(
      (k) => {
        // krakend-jose refuses a public key when it builds the signer, so the endpoint answers 401.
        if (k && 'type' in k && k.type === 'public') {
          log.error({ kid: cfg.kid }, 'unable to create the signer: public key not supported');
          return null;
        }
        return k;
      },
      (err: unknown) => {
        found = null;
        log.error({ reason: (err as Error).message }, 'unable to get the signing key');
        return null;
      },
    );
    return found;
  };
  const empty = (x: Exchange, status: number) => x.send(status, {}, null, false);

  return async (x, { response, error }) => {
    const k = await key();
    if (!k) {
      log.debug({ kid: cfg.kid }, 'no signing key');
      return empty(x, 401);
    }
    if (error || !response) {
      log.warn({ reason: error?.message ?? 'no response' }, 'proxy response');
      return empty(x, 400);
    }
    const data = { ...response.data };
    try {
      for (const name of keys) {
        const value = data[name];
        if (typeof value === 'object' && value !== null && !Array.isArray(value))
          data[name] = await sign(k, value as Record<string, unknown>);
      }
    } catch (err) {
      log.warn({ reason: (err as Error).message }, 'signing fields');
      return empty(x, 400);
    }
    x.send(200, { 'Content-Type': JSON_TYPE }, goJson(data), response.complete);
  };
}

/** Where the key comes from; throws what keeps the signer from being built. */
function keySource(cfg: SignerNamespace, where: string): KeySource {
  const insecure = cfg.disable_jwk_security === true;
  // krakend-jose checks jwk_url's scheme even when the set is a local file.
  if (!insecure && !(cfg.jwk_url ?? '').startsWith('https://'))
    throw new Error('JWK client is using an insecure connection to the JWK service');
  if (cfg.jwk_local_path) return localKeys(cfg.jwk_local_path, `${where} ${SIGNER}`);
  if (!cfg.jwk_url) throw new Error('no jwk_url nor jwk_local_path');
  return new RemoteKeys(cfg.jwk_url, {
    cache: cfg.cache === true,
    cacheMs: (cfg.cache_duration || DEFAULT_CACHE_S) * 1000,
    insecure,
  });
}
