import { type Envelope, isSwitchyardError } from '@switchyard/shared';
import { sleep } from '../pipeline/backoff.js';
import type { IntakeResult } from '../pipeline/intake.js';
import type { SourceContext } from './source.js';

// When the queue gave no delay with its refusal.
const DEFAULT_WAIT_MS = 1000;

/**
 * Backpressure for a source that pulls its events (the gateway stream, the Kong poller): while the queue
 * is full under the block policy, `accept` does not fail but waits, so the source stays paused on the
 * pending batch (and the gateway stream stops reading its socket); a spool that cannot write (SWY_SPOOL_IO,
 * a full or failing disk) is waited on the same way. It tries again as soon as the sink
 * settled a batch (room was made) or after the delay the queue suggested, and gives up only once `signal`
 * aborts, when the source is stopping.
 */
export function acceptWhenRoom(
  ctx: SourceContext,
  signal: AbortSignal,
): (events: readonly Envelope[]) => Promise<IntakeResult> {
  // Made only while a batch waits: aborting builds a DOMException, too dear for every settled batch.
  let roomMade: AbortController | undefined;
  ctx.onSettled(() => {
    roomMade?.abort();
    roomMade = undefined;
  });
  return async (events) => {
    for (;;) {
      try {
        return await ctx.accept(events);
      } catch (err) {
        if (!(isSwitchyardError(err, 'SWY_QUEUE_FULL') || isSwitchyardError(err, 'SWY_SPOOL_IO'))) throw err;
        if (signal.aborted) throw err;
        const suggested = err.details?.retryAfterMs;
        const wait = typeof suggested === 'number' ? suggested : DEFAULT_WAIT_MS;
        roomMade ??= new AbortController();
        await sleep(wait, AbortSignal.any([signal, roomMade.signal]));
        if (signal.aborted) throw err;
      }
    }
  };
}
