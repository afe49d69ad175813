import { SwitchyardError } from '../errors/switchyard-error.js';

// Go's time.ParseDuration units, as KrakenD writes them, in milliseconds.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export const DURATION_PATTERN =
  '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$|^0$';

/** Whether `text` is a Go duration such as `2s`, `1m30s`, `1.5h`, `300ms` (or `0`). */
export function isDuration(text: string): boolean {
  return tryParseDuration(text) !== undefined;
}

function tryParseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total;
}

/** Parses a Go duration (`2s`, `1m30s`, `250ms`, `1.5h`, `100µs`) into milliseconds. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text.trim());
  if (ms === undefined) {
    throw new SwitchyardError(
      'SWY_INVALID_DURATION',
      `invalid duration ${JSON.stringify(text)}: expected a number followed by a unit (ns, us, µs, ms, s, m, h), e.g. "2s", "1m30s" or "250ms"`,
    );
  }
  return ms;
}

/** Formats milliseconds as the shortest Go-style duration (`1500` → `1.5s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
