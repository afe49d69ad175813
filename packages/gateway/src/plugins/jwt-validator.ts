import type { JwtValidatorNamespace } from '@switchyard/config';
import { type Logger, parseDuration, SwitchyardError } from '@switchyard/shared';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { Exchange } from '../request/exchange.js';
import { type KeySource, localKeys, RemoteKeys } from './jwk-source.js';
import type { EndpointGuard } from './ratelimit-router.js';

export const JWT_VALIDATOR = 'auth/validator';

/** The algorithms KrakenD accepts for `alg`. */
const ALGORITHMS = new Set([
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
]);
const DEFAULT_CACHE_S = 15 * 60;
/** Settings of krakend-jose that Switchyard does not apply: warned once at compile. */
const UNSUPPORTED = ['jwk_local_ca', 'jwk_fingerprints', 'cipher_suites', 'secret_url'] as const;

type Claims = Record<string, unknown>;

/**
 * `auth/validator` as krakend-jose runs it: the token from the `Authorization: Bearer` header (or
 * `auth_header_name`), else from the cookie `cookie_key` [access_token]; signed with `alg` [RS256] by the
 * key its `kid` names in the JWK set (`jwk_url` or `jwk_local_path`); `iss` equal to `issuer` and `aud`
 * holding ALL of `audience`. A missing, invalid or expired token gets 401 with no body; a valid one
 * without the `roles` (any) or `scopes` (any/all) gets 403. `propagate_claims` then sets the claims as
 * request headers (replacing any the client sent), for the backends that list them in input_headers.
 */
export function compileJwtValidator(
  cfg: JwtValidatorNamespace,
  where: string,
  logger: Logger,
): EndpointGuard {
  const fail = (message: string) =>
    new SwitchyardError('SWY_CONFIG_INVALID', `${where} ${JWT_VALIDATOR}: ${message}`);
  const alg = cfg.alg ?? 'RS256';
  if (!ALGORITHMS.has(alg)) throw fail(`unknown alg ${alg}`);
  for (const key of UNSUPPORTED)
    if (cfg[key] !== undefined)
      logger.warn(
        { endpoint: where, setting: `${JWT_VALIDATOR}.${key}` },
        'not implemented by Switchyard; ignored',
      );
  if (cfg.key_identify_strategy !== undefined && cfg.key_identify_strategy !== 'kid')
    logger.warn(
      { endpoint: where, setting: `${JWT_VALIDATOR}.key_identify_strategy` },
      'only "kid" is implemented; using kid',
    );

  const keys = keySource(cfg, fail, where);
  const leewayS = cfg.leeway ? parseDuration(cfg.leeway) / 1000 : 0;
  const audience = cfg.audience ?? [];
  const headerName = (cfg.auth_header_name ?? 'Authorization').toLowerCase();
  const cookieKey = cfg.cookie_key || 'access_token';
  const hasRoles = (cfg.roles?.length ?? 0) > 0;
  const rolesOf = claimReader(
    cfg.roles_key ?? '',
    cfg.roles_key_is_nested === true &&
      (cfg.roles_key ?? '').includes('.') &&
      !cfg.roles_key?.startsWith('http'),
  );
  const checkScopes = (cfg.scopes?.length ?? 0) > 0 && (cfg.scopes_key ?? '') !== '';
  const scopesOf = claimReader(cfg.scopes_key ?? '', (cfg.scopes_key ?? '').includes('.'));
  const propagate = (cfg.propagate_claims ?? []).map(([claim, header]) => ({
    read: claimReader(
      claim as string,
      (claim as string).includes('.') && !(claim as string).startsWith('http'),
    ),
    header: (header as string).toLowerCase(),
  }));

  const verify = async (token: string): Promise<Claims> => {
    const { kid } = decodeProtectedHeader(token);
    if (typeof kid !== 'string' || kid === '') throw new Error('token header has no kid');
    const key = await keys.key(kid, alg);
    if (!key) throw new Error(`no key for kid ${kid}`);
    const { payload } = await jwtVerify(token, key, {
      algorithms: [alg],
      clockTolerance: leewayS,
      ...(cfg.issuer ? { issuer: cfg.issuer } : {}),
    });
    if (!audience.every((a) => audienceHas(payload, a))) throw new Error('token audience does not match');
    return payload as Claims;
  };

  return (x, _params) => {
    const token = tokenOf(x, headerName, cookieKey);
    if (token === null) {
      x.send(401, {}, null, false);
      return false;
    }
    return verify(token).then(
      (claims) => {
        if (hasRoles && !anyOf(listOf(rolesOf(claims), true), cfg.roles as string[])) {
          x.send(403, {}, null, false);
          return false;
        }
        if (checkScopes) {
          const present = listOf(scopesOf(claims), false);
          const wanted = cfg.scopes as string[];
          const ok =
            cfg.scopes_matcher === 'all' ? wanted.every((s) => present.includes(s)) : anyOf(present, wanted);
          if (!ok) {
            x.send(403, {}, null, false);
            return false;
          }
        }
        for (const p of propagate) x.req.headers[p.header] = claimText(p.read(claims));
        // For `{JWT.claim}` placeholders in the backends' url_pattern.
        x.claims = claims;
        return true;
      },
      (err: unknown) => {
        x.log().debug({ err: (err as Error).message }, 'JWT refused');
        x.send(401, {}, null, false);
        return false;
      },
    );
  };
}

function keySource(
  cfg: JwtValidatorNamespace,
  fail: (m: string) => SwitchyardError,
  where: string,
): KeySource {
  if (cfg.jwk_url) {
    let url: URL;
    try {
      url = new URL(cfg.jwk_url);
    } catch {
      throw fail(`jwk_url ${cfg.jwk_url} is not a URL`);
    }
    const insecure = cfg.disable_jwk_security === true;
    if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:'))
      throw fail(`jwk_url must use https (disable_jwk_security allows http): ${cfg.jwk_url}`);
    return new RemoteKeys(cfg.jwk_url, {
      cache: cfg.cache === true,
      cacheMs: (cfg.cache_duration || DEFAULT_CACHE_S) * 1000,
      insecure,
    });
  }
  if (cfg.jwk_local_path) return localKeys(cfg.jwk_local_path, where);
  return NO_KEYS;
}

/** No jwk_url nor jwk_local_path: KrakenD starts and refuses every token at request time (401); so do we. */
const NO_KEYS: KeySource = { key: () => Promise.resolve(null) };

/** The raw token: the bearer header first, then the cookie, as krakend-jose looks for it. */
function tokenOf(x: Exchange, headerName: string, cookieKey: string): string | null {
  const raw = x.req.headers[headerName];
  const header = Array.isArray(raw) ? raw[0] : raw;
  if (header) {
    const space = header.indexOf(' ');
    if (space > 0 && header.slice(0, space).toLowerCase() === 'bearer') {
      const token = header.slice(space + 1).trim();
      if (token !== '') return token;
    }
  }
  const cookies = x.req.headers.cookie;
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieKey) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

/** Reads a claim by its name, or by a dot path when `nested`. */
function claimReader(key: string, nested: boolean): (claims: Claims) => unknown {
  if (!nested) return (claims) => claims[key];
  const path = key.split('.');
  return (claims) => {
    let v: unknown = claims;
    for (const k of path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Claims)[k];
    }
    return v;
  };
}

/** Roles may be an array or a space-separated string; scopes only a space-separated string (as KrakenD). */
function listOf(v: unknown, arrays: boolean): string[] {
  if (typeof v === 'string') return v.split(' ');
  if (arrays && Array.isArray(v)) return v.filter((r): r is string => typeof r === 'string');
  return [];
}

const anyOf = (present: readonly string[], wanted: readonly string[]) =>
  wanted.some((w) => present.includes(w));

function audienceHas(payload: JWTPayload, a: string): boolean {
  return Array.isArray(payload.aud) ? payload.aud.includes(a) : payload.aud === a;
}

/** A claim as a header value or url_pattern value, as krakend-jose writes it: arrays joined by commas, objects as JSON. */
export function claimText(v: unknown): string {
  let text: string;
  if (v === undefined || v === null) text = '';
  else if (typeof v === 'string') text = v;
  else if (typeof v === 'number') text = Number.isInteger(v) ? String(v) : v.toFixed(6);
  else if (Array.isArray(v)) text = v.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join(',');
  else text = JSON.stringify(v);
  return text.replace(CONTROL, '');
}

// A claim must not be able to inject header lines.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
