/**
 * The request bytes ingest works on at once, across every request: a body is read, parsed and checked
 * in memory, so concurrent large posts could otherwise take more heap than the process has.
 */
export class InFlightBytes {
  private used = 0;

  constructor(readonly max: number) {}

  /** Takes `bytes` of the budget; false (nothing taken) when they do not fit beside what is in flight. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }

  get inFlight(): number {
    return this.used;
  }
}
