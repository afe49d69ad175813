import type { ServerResponse } from 'node:http';
import type { EventType, Logger } from '@switchyard/shared';
import type { EventHub, GapInfo } from '../events/hub.js';

export interface SseStreamOptions {
  hub: EventHub;
  res: ServerResponse;
  /** The client's Last-Event-ID, if any. */
  lastId: string | undefined;
  /** Without an id: replay the retained events (true) or start with the next one (false). */
  fromOldest: boolean;
  /** Only these event types (all when undefined). */
  types: ReadonlySet<EventType> | undefined;
  /** A client that accepts no bytes for this long is disconnected (it resumes by id when it comes back). */
  stallTimeoutMs: number;
  logger: Logger | undefined;
  onClose: () => void;
}

// Frames are batched into writes of about this size, so a replay is a few large writes, not many small ones.
const WRITE_CHUNK = 64 * 1024;

/** With `id` (the last hole's), a client resuming by Last-Event-ID starts after the holes told. */
const gapFrame = (gap: GapInfo, id?: string) =>
  `${id ? `id: ${id}\n` : ''}event: gap\ndata: ${JSON.stringify(gap)}\n\n`;

/**
 * One `GET /__events` client. It pulls from the hub's ring at its own pace instead of having events pushed
 * into a per-client queue: it writes until the socket stops accepting (Node's high-water mark), then waits
 * for `drain`. So a slow client holds at most one write chunk beyond the socket buffer, never a backlog.
 * If it stays blocked until the ring overwrote its position, or for `stallTimeoutMs`, it is disconnected
 * and can resume by id (getting an exact gap event).
 */
export class SseStream {
  private next = 0;
  private lastId: string | null;
  private scheduled = false;
  private blocked = false;
  private closed = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: SseStreamOptions) {
    this.lastId = o.lastId ?? null;
    // Subscribing first starts the hub recording; only then is the position exact (see EventHub.position).
    this.unsubscribe = o.hub.watch(() => this.wake());
    const start = o.hub.position(o.lastId, o.fromOldest);
    this.next = start.seq;
    o.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // `retry` tells EventSource clients how soon to reconnect; it also sends the headers at once.
    this.write(`retry: 1000\n\n${start.gap ? gapFrame(start.gap) : ''}`);
    o.res.on('close', () => this.close());
    o.res.on('drain', () => this.unblock());
    this.wake();
  }

  /** Writes an SSE comment so proxies and the client's idle timer see the connection alive. */
  heartbeat(): void {
    if (!this.blocked && !this.closed) this.write(': heartbeat\n\n');
  }

  close(): void {
    if (this.closed) return;
    // Events recorded since the last write (a pump may be scheduled) go out before the stream ends.
    if (!this.blocked && !this.o.res.destroyed) this.pump();
    this.closed = true;
    clearTimeout(this.stallTimer);
    this.unsubscribe();
    if (!this.o.res.destroyed) this.o.res.end();
    this.o.onClose();
  }

  private wake(): void {
    if (this.blocked) {
      if (this.next < this.o.hub.oldestSeq) this.drop('fell behind the event ring');
      return;
    }
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // Deferred, so a burst of events from one tick goes out in one write and the request path stays cheap.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.closed || this.blocked) return;
    const hub = this.o.hub;
    let out = '';
    if (this.next < hub.oldestSeq) {
      // Overtaken by a burst within one tick (not the client's fault): say so and go on from the oldest.
      const oldest = hub.oldestSeq;
      const gap = { ...hub.missedBetween(this.next, oldest), from: this.lastId };
      out = gapFrame({ ...gap, oldest: hub.entry(oldest)?.id ?? null });
      this.next = oldest;
    }
    const end = hub.nextSeq;
    // Holes in the ring are events lost before they reached it (the hand-off from the request thread was
    // full, or a `--workers` worker died with events unsent): told as one gap per run of them, exactly
    // counted unless one of the holes stands for an unknown number.
    let lost = 0;
    let exact = true;
    let holes = false;
    while (this.next < end) {
      const seq = this.next++;
      const stored = hub.entry(seq);
      if (!stored) {
        const uncounted = hub.uncountedAt(seq);
        lost += uncounted ?? 1;
        exact &&= uncounted === undefined;
        holes = true;
        continue;
      }
      if (holes) {
        out += gapFrame({ missed: lost, from: this.lastId, oldest: stored.id, exact });
        [lost, exact, holes] = [0, true, false];
      }
      this.lastId = stored.id;
      if (this.o.types && !this.o.types.has(stored.type)) continue;
      out += stored.frame;
      if (out.length >= WRITE_CHUNK) {
        const accepted = this.write(out);
        out = '';
        if (!accepted) return;
      }
    }
    if (holes) {
      // Nothing after the holes yet: the frame's id moves the client's Last-Event-ID past them.
      const id = hub.idAt(end - 1);
      out += gapFrame({ missed: lost, from: this.lastId, oldest: null, exact }, id);
      this.lastId = id;
    }
    if (out) this.write(out);
  }

  /** Writes; false (and waits for `drain`) once the socket buffer is above its high-water mark. */
  private write(text: string): boolean {
    if (this.o.res.write(text)) return true;
    this.blocked = true;
    this.stallTimer = setTimeout(() => this.drop('accepted no data'), this.o.stallTimeoutMs);
    this.stallTimer.unref();
    return false;
  }

  private unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    clearTimeout(this.stallTimer);
    if (this.next < this.o.hub.nextSeq) this.wake();
  }

  private drop(reason: string): void {
    this.o.logger?.warn({ reason, resume_from: this.lastId }, 'disconnecting slow event stream client');
    this.o.res.destroy();
    this.close();
  }
}
