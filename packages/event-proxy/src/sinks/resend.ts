import type { SwitchyardError } from '@switchyard/shared';
import { sleep } from '../pipeline/backoff.js';

export interface ResendOptions {
  /** Tries after the first: the sink's `retry_max`. */
  retryMax: number;
  /** Aborted when the sink closes: a pause then ends at once and the last failure is thrown. */
  closing: AbortSignal;
  /** The pause before trying again after `err` (try `attempt`, from 0), or undefined to throw it now. */
  pause(err: SwitchyardError, attempt: number): number | undefined;
  /** Called just before each new try (for `switchyard_events_sink_retried_total`). */
  onRetry?: (() => void) | undefined;
}

/**
 * A sink's tries within one send: `attempt` again after each retryable failure, `retryMax` times at most,
 * after a pause; then the failure goes to the pipeline, which keeps the batch and retries it with backoff.
 */
export async function resendWithin<T>(
  attempt: () => Promise<T>,
  toError: (err: unknown) => SwitchyardError,
  options: ResendOptions,
): Promise<T> {
  const { closing } = options;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const e = toError(err);
      if (!e.retryable || n >= options.retryMax || closing.aborted) throw e;
      const pause = options.pause(e, n);
      if (pause === undefined) throw e;
      await sleep(pause, closing);
      if (closing.aborted) throw e;
      options.onRetry?.();
    }
  }
}
