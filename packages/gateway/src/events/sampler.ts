/**
 * Decides whether a request's events are kept under `rate` (0..1). The decision is a pure function of the
 * request id (an FNV-1a hash), so `request` and `response` of one request are both kept or both dropped
 * without per-request state, and every node samples the same request ids the same way.
 */
export function createSampler(rate: number): (requestId: string) => boolean {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`sample_rate must be within 0..1, got ${rate}`);
  if (rate === 1) return () => true;
  if (rate === 0) return () => false;
  const threshold = Math.floor(rate * 2 ** 32);
  return (requestId) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < requestId.length; i++) {
      h ^= requestId.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // murmur3's finaliser: ids that differ only in their last characters still spread over the range.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0 < threshold;
  };
}
