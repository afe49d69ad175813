import type { CircuitBreakerNamespace } from '@switchyard/config';
import type { Logger, SwitchyardError } from '@switchyard/shared';
import { backendError, blamesBackend } from '../errors/status.js';
import type { ProxyRequest, Stage } from '../pipeline/types.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Reports a state transition (the gateway passes the event hub's `emitPluginUpdated`). */
export type StateListener = (
  plugin: string,
  scope: string,
  change: 'state',
  from: BreakerState,
  to: BreakerState,
) => void;

export const BREAKER = 'qos/circuit-breaker';

/**
 * KrakenD's circuit breaker (sony/gobreaker with MaxRequests 1): closed until more than `max_errors`
 * consecutive failures within a cyclic `interval`, then open for `timeout` seconds, failing fast; then
 * half-open, letting one probe through: its success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  /** When the closed state's failure count is cleared (gobreaker's generation). */
  private windowEnds: number;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly config: CircuitBreakerNamespace,
    readonly scope: string,
    readonly url: string,
    private readonly method: string,
    private readonly onState: StateListener,
    private readonly logger: Logger,
  ) {
    this.intervalMs = config.interval * 1000;
    this.timeoutMs = config.timeout * 1000;
    this.windowEnds = Date.now() + this.intervalMs;
  }

  get current(): BreakerState {
    return this.state;
  }

  /** Wraps a backend stage: refused at once while open (or while the half-open probe runs). */
  wrap(next: Stage): Stage {
    return (req: ProxyRequest) => {
      if (!this.admit()) {
        const refused = this.refusal();
        req.trace?.push({
          url: this.url,
          method: this.method,
          status: null,
          latency_ms: 0,
          error: refused.message,
        });
        return Promise.resolve({ response: null, error: refused });
      }
      return next(req).then(
        (result) => {
          this.settle(result.error);
          return result;
        },
        (err: unknown) => {
          this.settle(err as Error);
          throw err;
        },
      );
    };
  }

  /** Stops the open timer (the breaker's endpoint was replaced by a reload). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private admit(): boolean {
    if (this.state === 'open') return false;
    if (this.state === 'half-open') {
      if (this.probing) return false;
      this.probing = true;
      return true;
    }
    const now = Date.now();
    if (now >= this.windowEnds) {
      this.failures = 0;
      this.windowEnds = now + this.intervalMs;
    }
    return true;
  }

  private settle(err: Error | null): void {
    // A client that went away, or a request that could not be built, says nothing about the backend.
    if (err && !blamesBackend(err)) {
      if (this.state === 'half-open') this.probing = false;
      return;
    }
    if (this.state === 'half-open') {
      this.probing = false;
      this.move(err ? 'open' : 'closed');
      return;
    }
    if (this.state !== 'closed') return;
    if (!err) {
      this.failures = 0;
      return;
    }
    this.failures++;
    if (this.failures > this.config.max_errors) this.move('open');
  }

  private move(to: BreakerState): void {
    const from = this.state;
    this.state = to;
    this.dispose();
    if (to === 'open') {
      this.timer = setTimeout(() => this.move('half-open'), this.timeoutMs);
      this.timer.unref();
    } else if (to === 'closed') {
      this.failures = 0;
      this.windowEnds = Date.now() + this.intervalMs;
    }
    if (this.config.log_status_change)
      this.logger.warn(
        { breaker: this.config.name ?? this.scope, from, to },
        'circuit breaker state changed',
      );
    this.onState(BREAKER, this.scope, 'state', from, to);
  }

  private refusal(): SwitchyardError {
    return backendError(
      'SWY_BREAKER_OPEN',
      // gobreaker's texts, which KrakenD shows.
      this.state === 'open' ? 'circuit breaker is open' : 'too many requests',
      { url: this.url, breaker: this.state },
    );
  }
}
