import type { Backend, BackendHttpNamespace } from '@switchyard/config';
import type { SwitchyardError } from '@switchyard/shared';
import type { Dispatcher } from 'undici';
import { BackendStatusError } from '../errors/status.js';
import { failed, type ProxyRequest, type ProxyResult } from '../pipeline/types.js';
import type { HttpCache } from '../plugins/http-cache.js';
import { type ClientPlugin, callClientPlugin, type PluginAnswer } from '../plugins/modules/index.js';
import type { Transform } from '../transform/formatter.js';
import { BufferedCall } from './call.js';
import type { Decoder } from './decode.js';
import type { HeaderPolicy, QueryPolicy } from './forward.js';
import type { BackendLimits } from './limits.js';
import { Pools } from './pools.js';
import { dispatchHop, type Hop, isRedirect, MAX_REDIRECTS, nextHop, tooManyRedirects } from './redirect.js';
import type { SequentialSlot, Upstream, UrlTemplate } from './target.js';
import type { WaitingLine } from './waiting-line.js';

/** How a status other than 200/201 is answered (`backend/http`). */
type StatusMode = { kind: 'default' } | { kind: 'code' } | { kind: 'details'; key: string };

export interface BackendClientOptions {
  where: string;
  backend: Backend;
  method: string;
  upstreams: Upstream[];
  template: UrlTemplate;
  headers: HeaderPolicy;
  query: QueryPolicy;
  decode: Decoder;
  format: Transform | null;
  /** `qos/http-cache`: answers kept by their Cache-Control; null without it. */
  cache?: HttpCache | null;
  /** Its body limit and connection pool (`switchyard/backend`). */
  limits: BackendLimits;
  /** `plugin/http-client`: the plugin that makes the call instead of the HTTP client. */
  executor?: ClientPlugin | null;
}

/** What a call is handed to: its backend's pool (through the waiting line), or a redirect hop's. */
interface CallDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, call: BufferedCall): unknown;
}

/** Where one call goes: the pool of the chosen host and the request target. */
export interface Target {
  pool: WaitingLine;
  path: string;
  url: string;
}

/** One configured backend, compiled: request building, round-robin over its hosts, status handling, decoding. */
export class BackendClient {
  readonly method: string;
  private next = 0;
  private readonly poolsByHost: WaitingLine[];
  private readonly statusMode: StatusMode;
  /** lura's `[GET /users/{{.Id}}]:`, the prefix of its invalid-status text. */
  private readonly errPrefix: string;
  /** A `no-op` backend inside a buffered endpoint: any status, no body, no data (lura's no-op parser). */
  private readonly noop: boolean;
  /** `backend/http/client` `send_body_on_redirect`: 307/308 resend the body. */
  readonly replayBody: boolean;

  constructor(
    private readonly o: BackendClientOptions,
    readonly pools: Pools,
  ) {
    this.method = o.method;
    this.poolsByHost = o.upstreams.map((u) => pools.get(u.origin, o.limits.pool));
    this.errPrefix = `[${o.method} ${luraPattern(o.backend.url_pattern)}]:`;
    this.noop = o.backend.encoding === 'no-op';
    const client = o.backend.extra_config?.['backend/http/client'] as
      | { send_body_on_redirect?: unknown }
      | undefined;
    this.replayBody = client?.send_body_on_redirect === true;
    const http = (o.backend.extra_config?.['backend/http'] ?? {}) as BackendHttpNamespace;
    // return_error_details takes precedence over return_error_code, as in lura.
    this.statusMode = http.return_error_details
      ? { kind: 'details', key: `error_${http.return_error_details}` }
      : http.return_error_code
        ? { kind: 'code' }
        : { kind: 'default' };
    // Chosen once here, so a backend without a client plugin pays nothing per call.
    const executor = o.executor;
    if (executor) this.call = (req) => this.callPlugin(req, executor);
  }

  /** The `{respN_…}` placeholders of a sequential backend's url_pattern. */
  get sequentialSlots(): SequentialSlot[] {
    return this.o.template.sequential;
  }

  /** The keys of the pools this backend uses (those of other backends can be closed after a reload). */
  get poolKeys(): string[] {
    return this.o.upstreams.map((u) => Pools.key(u.origin, this.o.limits.pool));
  }

  target(req: ProxyRequest): Target {
    const i = this.next;
    this.next = i + 1 === this.poolsByHost.length ? 0 : i + 1;
    const upstream = this.o.upstreams[i] as Upstream;
    let path = upstream.basePath + this.o.template.render(req.params, req.sequential, req.claims);
    const query = this.o.query.build(req.query);
    if (query) path += (path.includes('?') ? '&' : '?') + query;
    return { pool: this.poolsByHost[i] as WaitingLine, path, url: upstream.origin + path };
  }

  dispatchOptions(req: ProxyRequest, path: string): Dispatcher.DispatchOptions {
    return {
      path,
      method: this.method as Dispatcher.HttpMethod,
      headers: this.o.headers.build(req),
      body: req.body,
    };
  }

  /** Calls the backend (following redirects as Go's client does) and turns its answer into data. */
  async call(req: ProxyRequest): Promise<ProxyResult> {
    const { pool, path, url } = this.target(req);
    const options = this.dispatchOptions(req, path);
    const cache = this.method === 'GET' ? this.o.cache : null;
    const hit = cache?.get(url, options.headers as string[]);
    if (hit) return this.decode(hit.body, url);
    let call = await this.send(req, pool, options, url);
    if (!call.error && isRedirect(call.status)) call = await this.follow(req, call, options, url);
    if (call.error) return failed(call.error);
    if (this.noop) return { response: { data: {}, complete: true }, error: null };
    if (call.status !== 200 && call.status !== 201) return this.statusFailure(call);
    if (call.url === url) cache?.put(url, options.headers as string[], call.status, call.headers, call.body);
    return this.decode(call.body, call.url);
  }

  /** The call through a `plugin/http-client`: its Response is checked and decoded as an HTTP answer. */
  private async callPlugin(req: ProxyRequest, executor: ClientPlugin): Promise<ProxyResult> {
    const { path, url } = this.target(req);
    const options = this.dispatchOptions(req, path);
    const started = performance.now();
    let answer: PluginAnswer;
    try {
      answer = await callClientPlugin(executor, this.o.where, req, {
        url,
        method: this.method,
        headers: options.headers as string[],
        maxBodyBytes: this.o.limits.maxBodyBytes,
      });
    } catch (err) {
      req.trace?.push(traceOf(url, this.method, 0, started, err as Error));
      return failed(err as Error);
    }
    req.trace?.push(traceOf(url, this.method, answer.status, started, null));
    if (this.noop) return { response: { data: {}, complete: true }, error: null };
    if (answer.status !== 200 && answer.status !== 201) return this.statusFailure(answer);
    return this.decode(answer.body, url);
  }

  protected async send(
    req: ProxyRequest,
    dispatcher: CallDispatcher,
    options: Dispatcher.DispatchOptions,
    url: string,
  ): Promise<BufferedCall> {
    const call = new BufferedCall(url, options.method, this.o.limits.maxBodyBytes);
    call.keepErrorBody = this.statusMode.kind !== 'default';
    call.skipBody = this.noop;
    req.scope.add(call);
    dispatcher.dispatch(options, call);
    await call.done;
    req.trace?.push(call.info());
    return call;
  }

  /** Follows the redirects of a first answer, at most MAX_REDIRECTS of them. */
  private async follow(
    req: ProxyRequest,
    answer: BufferedCall,
    options: Dispatcher.DispatchOptions,
    url: string,
  ): Promise<BufferedCall> {
    const first: Hop = {
      url,
      method: this.method,
      body: req.body,
      headers: options.headers as string[],
    };
    let hop = first;
    let call = answer;
    for (let n = 0; !call.error && isRedirect(call.status); n++) {
      const next = nextHop(call.status, call.location, hop, first, this.replayBody, this.pools.own);
      if (!next) break;
      if (n === MAX_REDIRECTS) {
        call.error = tooManyRedirects(this.method, next.url);
        break;
      }
      hop = next;
      const { dispatcher, options: hopOptions, done } = dispatchHop(this.pools, next);
      const sent = this.send(req, dispatcher, hopOptions, next.url);
      done();
      call = await sent;
    }
    return call;
  }

  private decode(body: Buffer, url: string): ProxyResult {
    let data: Record<string, unknown>;
    try {
      data = this.o.decode(body, url);
    } catch (err) {
      return failed(err as SwitchyardError);
    }
    if (this.o.format) data = this.o.format(data);
    return { response: { data, complete: true }, error: null };
  }

  private statusFailure(call: Pick<BufferedCall, 'status' | 'body' | 'headers' | 'url'>): ProxyResult {
    const mode = this.statusMode;
    if (mode.kind === 'details') {
      const body = call.body.toString('utf8');
      const contentType = (call.headers['content-type'] as string | undefined) ?? '';
      const detail: Record<string, unknown> = { http_status_code: call.status };
      if (body) detail.http_body = body;
      if (contentType) detail.http_body_encoding = contentType;
      return { response: { data: { [mode.key]: detail }, complete: false }, error: null };
    }
    const forward = mode.kind === 'code';
    return failed(
      new BackendStatusError(
        call.status,
        forward ? call.body.toString('utf8') : '',
        forward ? ((call.headers['content-type'] as string | undefined) ?? '') : '',
        forward,
        this.errPrefix,
        call.url,
      ),
    );
  }
}

function traceOf(url: string, method: string, status: number, started: number, error: Error | null) {
  return {
    url,
    method,
    status: status === 0 ? null : status,
    latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
    ...(error ? { error: error.message } : {}),
  };
}

/** A url_pattern as lura holds it after parsing (`/users/{{.Id}}`), for its error texts. */
function luraPattern(pattern: string): string {
  const path = `/${pattern.replace(/^\/+/, '')}`;
  return path.replace(
    /\{([\w\-.:/]+)\}/g,
    (_, name: string) => `{{.${name.charAt(0).toUpperCase()}${name.slice(1)}}}`,
  );
}
