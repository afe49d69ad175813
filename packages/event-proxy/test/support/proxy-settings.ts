import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventProxySettings, validateEventProxySettings } from '@switchyard/config';

/** A temp dir per test file; `cleanup` in afterAll. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `swy-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * Validated settings for a test proxy: listener on an ephemeral loopback port, memory queue, small batches
 * and short backoffs, dead letters in `dir`; `overrides` on top (the target is required).
 */
export function proxySettings(
  dir: string,
  overrides: DeepPartial<EventProxySettings> & { target: EventProxySettings['target'] },
): EventProxySettings {
  const { batch, retry, spool, dead_letter, ...rest } = overrides;
  return validateEventProxySettings({
    listen: '127.0.0.1:0',
    log_level: 'error',
    batch: { max_events: 50, linger_ms: 5, ...batch },
    retry: { initial_ms: 10, max_ms: 200, ...retry },
    // The directory also holds the gateway stream's cursor, with the memory queue too: keep it in `dir`.
    spool: { enabled: false, dir: join(dir, 'spool'), ...spool },
    dead_letter: { path: join(dir, 'dead-letters.ndjson'), ...dead_letter },
    ...rest,
  });
}
