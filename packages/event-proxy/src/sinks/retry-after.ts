/**
 * The delay a `Retry-After` header asks for, in ms: delta-seconds (`120`) or an HTTP-date. Undefined when
 * absent or unreadable (the caller's own backoff applies).
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
