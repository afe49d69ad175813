import type { Envelope, Logger } from '@switchyard/shared';
import type { Registry } from 'prom-client';
import type { IntakeResult } from '../pipeline/intake.js';

/** What the proxy gives a source when it starts it. */
export interface SourceContext {
  /**
   * Hands valid envelopes to the pipeline (filter, queue). Resolves once the queue holds them; rejects with
   * SWY_QUEUE_FULL under the block policy or SWY_SPOOL_IO while the spool cannot write, when the source
   * should pause and try again; SWY_SHUTTING_DOWN once the proxy closes.
   */
  accept(events: readonly Envelope[]): Promise<IntakeResult>;
  /** Called with each batch once the sink confirmed or dead-lettered it, in order (to advance a cursor). */
  onSettled(listener: (events: readonly Envelope[]) => void): void;
  logger: Logger;
  /** The proxy's metrics registry, for a source's own metrics (e.g. lag). */
  registry: Registry;
}

/** A source that pulls or receives events by itself (the gateway stream, the Kong Admin API poller). */
export interface Source {
  readonly name: string;
  start(context: SourceContext): Promise<void>;
  /** Stops taking events in; resolves once nothing more will be accepted. */
  stop(): Promise<void>;
}
