/**
 * What each `--workers` worker still owes the primary in events: its last status's `unsent`, less the
 * batches that arrived since (IPC keeps a worker's messages in order, and it sends its events in sequence
 * order, so a batch after a status pays that status's backlog first). A worker that exits without having
 * said `stopped` lost what it owed, and maybe events it recorded after its last status: at least that many.
 */
export class UnsentEvents {
  private readonly owed = new Map<number, number>();
  private readonly stopped = new Set<number>();

  status(worker: number, unsent: number): void {
    this.owed.set(worker, unsent);
  }

  /** `count` events (or lost-event counts) of `worker` arrived. */
  arrived(worker: number, count: number): void {
    const owed = this.owed.get(worker);
    // Nothing owed before its first status (or after its exit: late messages leave no entry behind).
    if (owed !== undefined) this.owed.set(worker, Math.max(0, owed - count));
  }

  /** `worker` forwarded its last events and is exiting. */
  finished(worker: number): void {
    this.stopped.add(worker);
  }

  /** `worker` exited: how many events it lost at least, or undefined when it stopped cleanly. */
  exited(worker: number): number | undefined {
    const owed = this.owed.get(worker) ?? 0;
    const clean = this.stopped.delete(worker);
    this.owed.delete(worker);
    return clean ? undefined : owed;
  }
}
