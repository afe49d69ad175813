const ESCAPE = /%[0-9a-fA-F]{2}/;

/**
 * Decodes one raw path segment captured by a `{param}`. Returns null when the value must be refused
 * (400), so it can never change the backend path: a malformed escape, a dot segment, and, unless
 * `router.disable_path_decoding` is set, what KrakenD refuses too — a value that was encoded to hide
 * `/`, `?`, `#` or a second level of escapes. Values are encoded again when placed in a url_pattern.
 */
export function decodeParam(raw: string, strict: boolean): string | null {
  if (!raw.includes('%')) return raw === '.' || raw === '..' ? null : raw;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (value === '.' || value === '..') return null;
  if (strict && (value.includes('/') || value.includes('?') || value.includes('#') || ESCAPE.test(value))) {
    return null;
  }
  return value;
}
