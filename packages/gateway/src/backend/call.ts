import type { IncomingHttpHeaders } from 'node:http';
import type { BackendCall as BackendCallInfo } from '@switchyard/shared';
import type { Dispatcher } from 'undici';
import { classifyBackendError } from '../errors/classify.js';
import { backendError } from '../errors/status.js';
import type { Abortable } from '../pipeline/scope.js';
import { isRedirect } from './redirect.js';

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: IncomingHttpHeaders = {};

/** The bookkeeping every backend call shares: timing, outcome, abort by its scope. */
export abstract class CallBase implements Abortable {
  status = 0;
  error: Error | null = null;
  latencyMs = 0;
  protected settled = false;
  protected controller: Dispatcher.DispatchController | null = null;
  private readonly started = performance.now();

  constructor(
    readonly url: string,
    readonly method: string,
  ) {}

  abort(err: Error): void {
    if (this.settled) return;
    this.finish(err);
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
    this.settledWith(err);
  }

  protected abstract settledWith(err: Error | null): void;
}

/**
 * A backend request whose body is collected in memory (bounded), driven by undici's dispatch handler
 * directly: no stream objects, one promise. Aborted by its scope, it settles at once with the reason.
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
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.keep || this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.abort(
        backendError(
          'SWY_BACKEND_BAD_RESPONSE',
          `backend ${this.url} answered more than ${this.limit} bytes`,
          {
            url: this.url,
          },
        ),
      );
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.finish(null);
  }

  protected settledWith(): void {
    this.resolve(this);
  }
}
