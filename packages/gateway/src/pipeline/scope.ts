import { backendError } from '../errors/status.js';

/** Something a scope can cancel: a backend call or a nested scope. */
export interface Abortable {
  abort(err: Error): void;
}

/**
 * The deadline and cancellation of the backend calls made for one client request. One timer per
 * request; when it fires (or the scope is aborted) every call still running is aborted with the same
 * error. Nested scopes (e.g. the losers of `concurrent_calls`) can be cancelled on their own.
 */
export class Scope implements Abortable {
  private members: Abortable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Why the scope ended early; null while it runs. */
  reason: Error | null = null;

  /** When the deadline falls (performance.now()), Infinity without one. */
  private readonly deadline: number;

  constructor(readonly timeoutMs = 0) {
    this.deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
    if (timeoutMs > 0) this.timer = setTimeout(expire, timeoutMs, this);
  }

  /** Milliseconds left before the deadline (Infinity without one, 0 once aborted). */
  remainingMs(): number {
    if (this.reason) return 0;
    return Math.max(0, this.deadline - performance.now());
  }

  add(member: Abortable): void {
    if (this.reason) member.abort(this.reason);
    else this.members.push(member);
  }

  child(): Scope {
    const child = new Scope();
    this.add(child);
    return child;
  }

  abort(err: Error): void {
    if (this.reason || this.disposed) return;
    this.reason = err;
    const members = this.members;
    this.dispose();
    for (const m of members) m.abort(err);
  }

  /** The request is done: stop the timer and forget the members. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.members = [];
  }
}

function expire(scope: Scope): void {
  scope.abort(
    backendError('SWY_BACKEND_TIMEOUT', 'context deadline exceeded', {
      timeout_ms: scope.timeoutMs,
    }),
  );
}
