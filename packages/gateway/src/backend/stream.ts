import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { CallBase } from './call.js';
import { connectionTokens, isHopByHop } from './hop-by-hop.js';
import { type Hop, isRedirect, nextHop } from './redirect.js';

/**
 * A `no-op` backend call: the backend's status, headers (minus hop-by-hop ones) and body go to the client
 * as they arrive, never buffered. Backpressure pauses the backend (a client that goes away aborts the
 * request's scope, and so this call).
 */
export class StreamCall extends CallBase implements Dispatcher.DispatchHandler {
  bytes = 0;
  /** The request a redirect answer leads to (its own head and body are not passed on); null when none. */
  next: Hop | null = null;
  /** How many redirects led to this call. */
  hops = 0;
  private waiting = false;
  private flushing = false;
  /** This call and the chain's first one as hops, made only when a redirect needs them. */
  private at: Hop | null = null;
  private first: Hop | null = null;

  constructor(
    url: string,
    method: string,
    private readonly res: ServerResponse,
    /** Headers the gateway adds, as a flat [name, value, …] list. */
    private readonly own: string[],
    private readonly onSettled: (call: StreamCall) => void,
    /** What was dispatched (headers and body, for a redirect's next request). */
    private readonly sent: Dispatcher.DispatchOptions,
    /** `send_body_on_redirect`: 307/308 may resend the body. */
    private readonly replayBody: boolean,
  ) {
    super(url, method);
  }

  /** The call for the request a redirect led to, streaming to the same client. */
  successor(next: Hop, sent: Dispatcher.DispatchOptions): StreamCall {
    const call = new StreamCall(
      next.url,
      next.method,
      this.res,
      this.own,
      this.onSettled,
      sent,
      this.replayBody,
    );
    call.at = next;
    call.first = this.first ?? this.hop();
    call.hops = this.hops + 1;
    return call;
  }

  private hop(): Hop {
    this.at ??= {
      url: this.url,
      method: this.method,
      body: (this.sent.body as Buffer | null | undefined) ?? null,
      headers: this.sent.headers as string[],
    };
    return this.at;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    if (isRedirect(status)) {
      const location = headers.location;
      const at = this.hop();
      const to = Array.isArray(location) ? location[0] : location;
      this.next = nextHop(status, to, at, this.first ?? at, this.replayBody);
      if (this.next) return;
    }
    const out = this.own.slice();
    const listed = connectionTokens(headers.connection as string | undefined);
    for (const name in headers) {
      if (isHopByHop(name) || listed?.has(name)) continue;
      const value = headers[name];
      if (Array.isArray(value)) for (const v of value) out.push(name, v);
      else if (value !== undefined) out.push(name, value);
    }
    this.res.writeHead(status, out);
    // Corked until the end of this tick: the head and the chunks that arrived with it leave in one write.
    this.res.cork();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.next) return;
    this.bytes += chunk.length;
    if (!this.res.write(chunk) && !this.waiting) this.waitForDrain(controller);
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(flush, this);
    }
  }

  onResponseEnd(): void {
    if (!this.next) this.res.end();
    this.finish(null);
  }

  protected settledWith(err: Error | null): void {
    // Past the headers an error can only cut the answer short: the client sees a broken response.
    if (err && this.res.headersSent) this.res.destroy(err);
    this.onSettled(this);
  }

  /** Sends what the tick gathered; later chunks are gathered again until their tick ends. */
  uncork(): void {
    this.flushing = false;
    this.res.uncork();
    if (!this.res.writableEnded) this.res.cork();
  }

  private waitForDrain(controller: Dispatcher.DispatchController): void {
    this.waiting = true;
    controller.pause();
    this.res.once('drain', () => {
      this.waiting = false;
      controller.resume();
    });
  }
}

function flush(call: StreamCall): void {
  call.uncork();
}
