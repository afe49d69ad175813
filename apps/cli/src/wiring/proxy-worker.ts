import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventProxySettings } from '@switchyard/config';
import { createEventProxy, LOCK_FILE } from '@switchyard/event-proxy';
import type { AttachEventConsumer } from '@switchyard/gateway';
import { HubSource } from './hub-source.js';

/**
 * The event proxy of `switchyard run`, inside the gateway's event worker: it reads the worker's hub in
 * memory (HubSource) and delivers through its spool and sink there, off the request thread. `data` is
 * the proxy's validated settings (without the gateway stream source: this gateway hands its events over).
 */
export const attachEventConsumer: AttachEventConsumer = async ({ hub, data, logger, stdout, restarts }) => {
  const settings = data as Omit<EventProxySettings, 'gateway'>;
  // A worker that failed left its spool lock behind with this process's pid: it is no longer held.
  if (restarts > 0 && settings.spool.enabled) await releaseOwnLock(settings.spool.dir);
  const source = new HubSource({ hub });
  const proxy = createEventProxy(settings, {
    // Its own children add `component` (spool, delivery…): this key names the runtime, so no line has a key twice.
    logger: logger.child({ runtime: 'event-proxy' }),
    stdout,
    sources: [source],
  });
  try {
    await proxy.start();
  } catch (err) {
    await proxy.close({ deadlineMs: 0 }).catch(() => undefined);
    throw err;
  }
  return {
    taken: () => source.taken,
    flush: (timeoutMs) => source.flush(timeoutMs),
    settle: (timeoutMs) => proxy.flush(timeoutMs),
    info: () => ({ address: proxy.address }),
    close: () => proxy.close(),
  };
};

async function releaseOwnLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  const text = await readFile(path, 'utf8').catch(() => '');
  if (Number.parseInt(text, 10) === process.pid) await unlink(path).catch(() => undefined);
}
