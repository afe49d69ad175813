const unescapeSegment = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/**
 * Sets the value at an RFC 6901 pointer inside `root` (undefined deletes an object member). Does nothing
 * when a parent is missing: the value is already gone.
 */
export function setAt(root: unknown, pointer: string, value: unknown): void {
  const path = pointer.split('/').slice(1).map(unescapeSegment);
  const last = path.pop();
  if (last === undefined) return;
  let at: unknown = root;
  for (const seg of path) {
    if (typeof at !== 'object' || at === null) return;
    at = (at as Record<string, unknown>)[seg];
  }
  if (typeof at !== 'object' || at === null || !(last in at)) return;
  if (value === undefined && !Array.isArray(at)) delete (at as Record<string, unknown>)[last];
  else (at as Record<string, unknown>)[last] = value;
}

/** The value at an RFC 6901 pointer inside `root`, or undefined. */
export function getAt(root: unknown, pointer: string): unknown {
  let at = root;
  for (const seg of pointer.split('/').slice(1)) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[unescapeSegment(seg)];
  }
  return at;
}
