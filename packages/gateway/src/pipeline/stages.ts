import type { ProxyNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import type { SequentialSlot } from '../backend/target.js';
import { concurrent } from './concurrent.js';
import { withFlatmap } from './flatmap.js';
import { parallelMerge } from './merge.js';
import { sequentialMerge } from './sequential.js';
import { withStatic } from './static.js';
import type { ProxyRequest, ProxyResult, Stage } from './types.js';

/** A backend as the stages call it: an HTTP client, or a message broker. */
export interface BackendCaller {
  call(req: ProxyRequest): Promise<ProxyResult>;
  readonly sequentialSlots: SequentialSlot[];
}

export interface StageOptions {
  proxy: ProxyNamespace;
  sequential: boolean;
  concurrentCalls: number;
  pattern: string;
  logger: Logger;
  /** Wraps backend i's call with its plugins (breaker, rate limit, cache). */
  backend: (call: Stage, i: number) => Stage;
}

/**
 * The stages of a buffered endpoint, in lura's order: each backend (repeated with concurrent_calls) →
 * merge (parallel or sequential) → endpoint flatmap_filter (merges only) → static. Also the share of the
 * endpoint timeout the backends get, as KrakenD gives it: all of it for one backend, 85% for a merge,
 * 75% with concurrent calls.
 */
export function buildStages(
  clients: readonly BackendCaller[],
  o: StageOptions,
): { stage: Stage; timeoutShare: number } {
  let parts: Stage[] = clients.map((c, i) => o.backend((req: ProxyRequest) => c.call(req), i));
  if (o.concurrentCalls > 1) parts = parts.map((p) => concurrent(p, o.concurrentCalls));
  let stage: Stage;
  if (parts.length === 1) stage = parts[0] as Stage;
  else if (o.sequential)
    stage = sequentialMerge(
      parts,
      clients.map((c) => c.sequentialSlots),
    );
  else stage = parallelMerge(parts);
  const flatmap = o.proxy.flatmap_filter;
  if (flatmap?.length) {
    if (parts.length > 1) stage = withFlatmap(stage, flatmap);
    else
      o.logger.warn(
        { endpoint: o.pattern },
        'endpoint-level flatmap_filter needs several backends; ignored (as KrakenD does)',
      );
  }
  if (o.proxy.static) stage = withStatic(stage, o.proxy.static);
  const timeoutShare = o.concurrentCalls > 1 ? 0.75 : parts.length > 1 ? 0.85 : 1;
  return { stage, timeoutShare };
}
