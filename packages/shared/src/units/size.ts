import { SwitchyardError } from '../errors/switchyard-error.js';

// SI units are powers of 1000, IEC units powers of 1024, as their names say.
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Parses a byte size: a plain number of bytes, or a number with a unit (`512KiB`, `10MB`, `1.5GiB`;
 * `k`/`m`/`g` alone are binary, as in `ulimit` and nginx).
 */
export function parseSize(text: string | number): number {
  if (typeof text === 'number' && Number.isFinite(text) && text >= 0) return Math.floor(text);
  const m = typeof text === 'string' ? SIZE.exec(text.trim()) : null;
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new SwitchyardError(
      'SWY_INVALID_SIZE',
      `invalid size ${JSON.stringify(text)}: expected bytes or a number with a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. "512KiB" or "100MB"`,
    );
  }
  return Math.floor(Number(m[1]) * unit);
}
