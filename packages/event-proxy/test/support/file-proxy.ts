import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventProxySettings } from '@switchyard/config';
import { createEventProxy, type EventProxy } from '@switchyard/event-proxy';
import { createLogger } from '@switchyard/shared';
import { proxySettings } from './proxy-settings.js';

/** A started proxy delivering to an NDJSON file in `dir`; `delivered()` reads the file back. */
export async function fileProxy(
  dir: string,
  name: string,
  extra: Partial<Omit<EventProxySettings, 'target'>> = {},
): Promise<{ proxy: EventProxy; url: string; delivered(): unknown[] }> {
  const path = join(dir, `${name}.ndjson`);
  const settings = proxySettings(dir, {
    target: { type: 'file', file: { path, fsync: 'never', rotate_bytes: 0, rotate_keep: 1 } },
    dead_letter: { path: join(dir, `${name}.dead.ndjson`) },
    ...extra,
  });
  const proxy = createEventProxy(settings, { logger: createLogger({ level: 'silent' }) });
  await proxy.start();
  return {
    proxy,
    url: proxy.address?.url as string,
    delivered: () =>
      existsSync(path)
        ? readFileSync(path, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l))
        : [],
  };
}
