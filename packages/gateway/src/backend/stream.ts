import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { backendError } from '../errors/status.js';
import { CallBase } from './call.js';
import { connectionTokens, isHopByHop } from './hop-by-hop.js';
import { type Inflater, inflaterFor, isGzip } from './inflate.js';
import type { OwnListeners } from './own-listeners.js';
import { type Hop, isRedirect, nextHop } from './redirect.js';

/**
 * A `no-op` backend call: the backend's status, headers (minus hop-by-hop ones) and body go to the client
 * as they arrive, never buffered. Backpressure pauses the backend (a client that goes away aborts the
 * request's scope, and so this call). A gzip answer to the `Accept-Encoding: gzip` the gateway added
 * itself is decoded on the way (streamed through zlib), without its Content-Encoding and Content-Length,
 * as Go's transport does for KrakenD; an encoding the client asked for passes through untouched.
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
  private inflater: Inflater | null = null;
  private encoded = false;

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
    /** The gateway's own listeners, where a redirect is not followed. */
    private readonly ownListeners: OwnListeners,
    /** The gateway added `Accept-Encoding: gzip` (a redirect's request keeps it): a gzip answer is decoded. */
    private readonly gzipAdded = false,
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
      this.ownListeners,
      this.gzipAdded,
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
      this.next = nextHop(status, to, at, this.first ?? at, this.replayBody, this.ownListeners);
      if (this.next) return;
    }
    const out = this.own.slice();
    const listed = connectionTokens(headers.connection as string | undefined);
    const decode = this.gzipAdded && isGzip(headers['content-encoding']);
    if (decode) this.inflate();
    for (const name in headers) {
      if (isHopByHop(name) || listed?.has(name)) continue;
      if (decode && (name === 'content-encoding' || name === 'content-length')) continue;
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
    const inflater = this.inflater;
    if (inflater) {
      this.encoded = true;
      if (!inflater.write(chunk) && !this.waiting) {
        this.waiting = true;
        controller.pause();
        inflater.once('drain', () => {
          this.waiting = false;
          controller.resume();
        });
      }
      return;
    }
    if (!this.deliver(chunk) && !this.waiting) this.waitForDrain(controller);
  }

  onResponseEnd(): void {
    // An empty body is not a gzip stream (a 204, or a 200 with no content).
    if (this.inflater && this.encoded && !this.settled) {
      this.inflater.end();
      return;
    }
    if (!this.next) this.res.end();
    this.finish(null);
  }

  /** Writes a chunk to the client; false when the client's buffer is full. */
  private deliver(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    const more = this.res.write(chunk);
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(flush, this);
    }
    return more;
  }

  private inflate(): void {
    const inflater = inflaterFor('gzip') as Inflater;
    this.inflater = inflater;
    inflater.on('data', (chunk: Buffer) => {
      if (this.settled) return;
      if (!this.deliver(chunk)) {
        // The client is slower than zlib: zlib waits, its input fills, and then the backend waits.
        inflater.pause();
        this.res.once('drain', () => inflater.resume());
      }
    });
    inflater.on('error', (err: Error) =>
      this.abort(
        backendError('SWY_BACKEND_BAD_RESPONSE', `backend ${this.url}: cannot decode body (${err.message})`, {
          url: this.url,
        }),
      ),
    );
    inflater.on('end', () => {
      if (this.settled) return;
      this.res.end();
      this.finish(null);
    });
  }

  protected settledWith(err: Error | null): void {
    if (err) this.inflater?.destroy();
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
