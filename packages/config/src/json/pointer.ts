const unescapeSegment = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/**
 * Sets the value at an RFC 6901 pointer inside `root` (undefined deletes an object member, removes an
 * array element). Does nothing when a parent is missing: the value is already gone.
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
  if (value !== undefined) (at as Record<string, unknown>)[last] = value;
  else if (Array.isArray(at)) at.splice(Number(last), 1);
  else delete (at as Record<string, unknown>)[last];
}

/**
 * Removes the values at several pointers: array elements last first, so that removing one does not move
 * the others.
 */
export function removeAll(root: unknown, pointers: readonly string[]): void {
  const index = (p: string) => Number(p.slice(p.lastIndexOf('/') + 1));
  const ordered = [...pointers].sort((a, b) => (index(b) || 0) - (index(a) || 0));
  for (const p of ordered) setAt(root, p, undefined);
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
