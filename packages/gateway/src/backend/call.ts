import type { IncomingHttpHeaders } from 'node:http';
import {
  type BackendCall as BackendCallInfo,
  isSwitchyardError,
  type SwitchyardError,
} from '@switchyard/shared';
import type { Dispatcher } from 'undici';
import { classifyBackendError } from '../errors/classify.js';
import { backendError } from '../errors/status.js';
import type { Abortable } from '../pipeline/scope.js';
import { type Inflater, inflaterFor } from './inflate.js';
import { isRedirect } from './redirect.js';

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: IncomingHttpHeaders = {};

/** The bookkeeping every backend call shares: timing, outcome, abort by its scope. */
export abstract class CallBase implements Abortable {
  status = 0;
  error: Error | null = null;
  latencyMs = 0;
  /** Set by the pool's waiting line: the call waits there for a free connection. */
  queued = false;
  /** Set by the pool's waiting line: called once when the call settles, to free its place. */
  release: (() => void) | null = null;
  protected settled = false;
  protected controller: Dispatcher.DispatchController | null = null;
  private readonly started = performance.now();

  constructor(
    readonly url: string,
    readonly method: string,
  ) {}

  get isSettled(): boolean {
    return this.settled;
  }

  abort(err: Error): void {
    if (this.settled) return;
    this.finish(this.queued && isTimeout(err) ? poolTimeout(this.url, err) : err);
    this.controller?.abort(err);
  }

  /** What the `response` event reports about this call. */
  info(): BackendCallInfo {
    return {
      url: this.url,
      method: this.method,
      status: this.status === 0 ? null : this.status,
      latency_ms: Math.round(this.latencyMs * 1000) / 1000,
      ...(this.error ? { error: this.error.message } : {}),
    };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Aborted while undici still had the request queued: stop it now.
    if (this.settled) controller.abort(this.error ?? new Error('aborted'));
    else this.controller = controller;
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(classifyBackendError(err, this.url, this.method));
  }

  protected finish(err: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.error = err;
    this.latencyMs = performance.now() - this.started;
    this.release?.();
    this.settledWith(err);
  }

  protected abstract settledWith(err: Error | null): void;
}

const isTimeout = (err: Error) => isSwitchyardError(err) && err.code === 'SWY_BACKEND_TIMEOUT';

/** The endpoint's deadline passed while the call still waited for a connection of its pool. */
function poolTimeout(url: string, cause: Error): SwitchyardError {
  return backendError(
    'SWY_BACKEND_POOL_TIMEOUT',
    `backend ${url}: no free connection in its pool within the timeout (${cause.message}); the backend was not called`,
    { url },
    cause,
  );
}

/** The call was settled by the gateway at its body limit: the rest of the answer is never read. */
export function bodyTooLarge(url: string, limit: number): SwitchyardError {
  return backendError(
    'SWY_BACKEND_BODY_TOO_LARGE',
    `backend ${url} answered more than ${limit} bytes (max_body_bytes)`,
    { url, max_body_bytes: limit },
  );
}

/**
 * A backend request whose body is collected in memory, driven by undici's dispatch handler directly: no
 * stream objects, one promise. The body is bounded by `limit` bytes, after undoing its Content-Encoding
 * (streamed through zlib, off the request thread, so a small gzip bomb stops at the limit too); past it
 * the backend request is aborted and nothing more is read. Aborted by its scope, it settles at once.
 */
export class BufferedCall extends CallBase implements Dispatcher.DispatchHandler {
  headers: IncomingHttpHeaders = NO_HEADERS;
  readonly done: Promise<BufferedCall>;
  /** Keep the body of a non-200/201 answer too (return_error_code/details need it). */
  keepErrorBody = false;
  /** Read no body at all (a no-op backend inside a buffered endpoint). */
  skipBody = false;
  /** The Location of a redirect answer, whose body is never kept. */
  location: string | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private keep = true;
  private inflater: Inflater | null = null;
  private encodedBytes = 0;
  private waiting = false;
  private resolve!: (call: BufferedCall) => void;

  constructor(
    url: string,
    method: string,
    private readonly limit: number,
  ) {
    super(url, method);
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** A body a response modifier wrote instead of the backend's. */
  replaceBody(body: Buffer): void {
    this.chunks = [body];
    this.size = body.length;
  }

  get body(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0] as Buffer;
    return this.chunks.length === 0 ? EMPTY : Buffer.concat(this.chunks, this.size);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    if (isRedirect(status)) {
      const location = headers.location;
      this.location = Array.isArray(location) ? location[0] : location;
      if (this.location) {
        this.keep = false;
        return;
      }
    }
    this.keep = !this.skipBody && (this.keepErrorBody || status === 200 || status === 201);
    if (!this.keep) return;
    const encoding = headers['content-encoding'];
    const inflater = inflaterFor(encoding);
    if (inflater === undefined) {
      this.abort(
        backendError(
          'SWY_BACKEND_BAD_RESPONSE',
          `backend ${this.url}: unsupported content-encoding ${encoding}`,
          {
            url: this.url,
          },
        ),
      );
      return;
    }
    if (inflater === null) {
      // Refused before a byte of the body is read when its announced length is already too much.
      if (Number(headers['content-length']) > this.limit) this.abort(bodyTooLarge(this.url, this.limit));
      return;
    }
    // What follows is the decoded body: its encoding and length no longer describe it.
    const { 'content-encoding': _e, 'content-length': _l, ...decoded } = headers;
    this.headers = decoded;
    this.inflater = inflater;
    inflater.on('data', (chunk: Buffer) => this.take(chunk));
    inflater.on('error', (err: Error) =>
      this.abort(
        backendError('SWY_BACKEND_BAD_RESPONSE', `backend ${this.url}: cannot decode body (${err.message})`, {
          url: this.url,
        }),
      ),
    );
    inflater.on('end', () => this.finish(null));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.keep || this.settled) return;
    const inflater = this.inflater;
    if (!inflater) {
      this.take(chunk);
      return;
    }
    this.encodedBytes += chunk.length;
    if (this.encodedBytes > this.limit) {
      this.abort(bodyTooLarge(this.url, this.limit));
      return;
    }
    // zlib is slower than the socket: the backend waits while zlib catches up.
    if (!inflater.write(chunk) && !this.waiting) {
      this.waiting = true;
      controller.pause();
      inflater.once('drain', () => {
        this.waiting = false;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    // An empty body is not a stream to decode (a 204, or a 200 with no content).
    if (this.inflater && this.encodedBytes > 0 && !this.settled) this.inflater.end();
    else this.finish(null);
  }

  private take(chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.abort(bodyTooLarge(this.url, this.limit));
      return;
    }
    this.chunks.push(chunk);
  }

  protected settledWith(err: Error | null): void {
    if (err) {
      this.inflater?.destroy();
      this.chunks = [];
      this.size = 0;
    }
    this.resolve(this);
  }
}
