import type { EventProxySettings } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import { DiskSpool } from '../spool/disk-spool.js';
import { MemoryQueue } from './memory-queue.js';
import type { EventQueue } from './queue.js';

/**
 * The one place the queue is chosen: the disk spool when `spool.enabled` (events survive sink outages and
 * restarts), otherwise memory only, bounded by `spool.memory_max_events`.
 */
export async function createQueue(settings: EventProxySettings, logger: Logger): Promise<EventQueue> {
  const { spool } = settings;
  if (spool.enabled) {
    return DiskSpool.open({
      dir: spool.dir,
      maxBytes: spool.max_bytes,
      fullPolicy: spool.full_policy,
      logger: logger.child({ component: 'spool' }),
    });
  }
  return new MemoryQueue({ maxEvents: spool.memory_max_events, fullPolicy: spool.full_policy });
}
