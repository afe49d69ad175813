import { type SensitiveNames, sensitiveNames } from './sensitive-names.js';

/**
 * Query parameter names whose values never reach an event (`telemetry/events.redact_query` adds more),
 * compared case-insensitively: keys, tokens, passwords and signatures that clients put in URLs. Names
 * that look like secrets are hidden too (see sensitiveNames).
 */
export const SENSITIVE_QUERY_PARAMS = [
  'api_key',
  'apikey',
  'api-key',
  'key',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'signature',
  'sig',
  'session',
  'sessionid',
] as const;

export const REDACTED = '[REDACTED]';

export type QueryValues = Record<string, string | string[]>;

/** The names to hide: the defaults, `extra` and names that look like secrets, case-insensitively. */
export function sensitiveQueryNames(extra: readonly string[] = []): SensitiveNames {
  return sensitiveNames(SENSITIVE_QUERY_PARAMS, extra);
}

/** A parsed query with the values of hidden names replaced by `[REDACTED]`; the input is not changed. */
export function redactQuery(query: QueryValues, hide: SensitiveNames): QueryValues {
  let out: QueryValues | undefined;
  for (const name in query) {
    if (!hide.has(name.toLowerCase())) continue;
    out ??= { ...query };
    out[name] = REDACTED;
  }
  return out ?? query;
}

/**
 * A URL (absolute or a path) with the values of hidden query parameters and any userinfo password
 * replaced by `[REDACTED]`. A URL with neither is returned as it is, without parsing.
 */
export function redactUrl(url: string, hide: SensitiveNames): string {
  let out = url;
  const scheme = out.indexOf('://');
  if (scheme > 0) {
    const hostEnd = out.slice(scheme + 3).search(/[/?#]/);
    const authority = hostEnd < 0 ? out.slice(scheme + 3) : out.slice(scheme + 3, scheme + 3 + hostEnd);
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at > 0 && colon >= 0 && colon < at)
      out = `${out.slice(0, scheme + 3)}${authority.slice(0, colon + 1)}${REDACTED}${out.slice(scheme + 3 + at)}`;
  }
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const query = hash < 0 ? out.slice(q + 1) : out.slice(q + 1, hash);
  const parts = query.split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    const raw = eq < 0 ? part : part.slice(0, eq);
    if (!hide.has(decodeName(raw).toLowerCase())) continue;
    parts[i] = `${raw}=${REDACTED}`;
    changed = true;
  }
  if (!changed) return out;
  return `${out.slice(0, q + 1)}${parts.join('&')}${hash < 0 ? '' : out.slice(hash)}`;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * A URL inside free text, e.g. an error worded as Go's client words it (`Get "http://h/u?api_key=…": …`):
 * it ends at a quote or a space. The lookbehind starts a match only where a run of scheme characters
 * starts, so a text is scanned in linear time.
 */
const URL_IN_TEXT = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi;

/** `text` with every URL in it redacted by `redactUrl` (a backend error names the URL it called). */
export function redactUrlsIn(text: string, hide: SensitiveNames): string {
  return text.includes('://') ? text.replace(URL_IN_TEXT, (url) => redactUrl(url, hide)) : text;
}
