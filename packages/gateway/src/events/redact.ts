import { SENSITIVE_HEADERS } from '@switchyard/shared';

const REDACTED = '[REDACTED]';

/**
 * `redactHeaders` from @switchyard/shared with its name set built once: the same rule (the sensitive
 * headers plus `extra`, case-insensitive), but cheap enough for the request path, where the shared
 * function's per-call set dominated the cost of an event.
 */
export function headerRedactor(
  extra: readonly string[],
): (headers: Record<string, string | string[] | undefined>) => Record<string, string | string[]> {
  const hide = new Set<string>([...SENSITIVE_HEADERS, ...extra.map((h) => h.toLowerCase())]);
  return (headers) => {
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      out[name] = hide.has(name) || hide.has(name.toLowerCase()) ? REDACTED : value;
    }
    return out;
  };
}
