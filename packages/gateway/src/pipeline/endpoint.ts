import { type Backend, type Endpoint, GATEWAY_DEFAULTS, type ProxyNamespace } from '@switchyard/config';
import { type Logger, parseDuration, readBody, SwitchyardError } from '@switchyard/shared';
import { BackendClient, type BackendClientOptions } from '../backend/client.js';
import { decoderFor } from '../backend/decode.js';
import { HeaderPolicy, QueryPolicy } from '../backend/forward.js';
import { compileGraphql } from '../backend/graphql.js';
import { GraphqlClient } from '../backend/graphql-client.js';
import { backendLimits } from '../backend/limits.js';
import type { Pools } from '../backend/pools.js';
import { dispatchHop, MAX_REDIRECTS, tooManyRedirects } from '../backend/redirect.js';
import { StreamCall } from '../backend/stream.js';
import { parseHost, UrlTemplate } from '../backend/target.js';
import { refuseBody } from '../builtins/debug.js';
import { type Render, renderFor } from '../encode/render.js';
import { CLIENT_GONE } from '../errors/status.js';
import { LUA_BACKEND, LUA_PROXY, luaEndpoint, luaStage, withScriptHeaders } from '../lua/index.js';
import { MartianClient } from '../martian/client.js';
import { MARTIAN, parseModifier } from '../martian/modifiers.js';
import { backendTarget, type PluginHost } from '../plugins/index.js';
import { hasBody } from '../request/body.js';
import type { Exchange, RouteHandler } from '../request/exchange.js';
import { decodeParam } from '../router/params.js';
import { type GatewaySettings, positive } from '../settings.js';
import { compileFormatter } from '../transform/formatter.js';
import {
  type AnswerOptions,
  answer,
  answerFailure,
  COMPLETED_HEADER,
  logFailure,
  ownHeaders,
} from './answer.js';
import { Scope } from './scope.js';
import { buildStages } from './stages.js';
import type { ProxyRequest } from './types.js';

export interface CompileContext {
  settings: GatewaySettings;
  pools: Pools;
  logger: Logger;
  plugins: PluginHost;
}

export interface CompiledEndpoint {
  method: string;
  pattern: string;
  handler: RouteHandler;
  poolKeys: string[];
  timeoutMs: number;
}

const PARAM = /^\{([^{}]+)\}$/;

function invalid(where: string, message: string): SwitchyardError {
  return new SwitchyardError('SWY_CONFIG_INVALID', `${where}: ${message}`);
}

const proxyNamespace = (extra: Record<string, unknown> | undefined) => (extra?.proxy ?? {}) as ProxyNamespace;

function paramNames(pattern: string, where: string): string[] {
  const names: string[] = [];
  for (const seg of pattern.split('/')) {
    const m = PARAM.exec(seg);
    if (!m) continue;
    if (names.includes(m[1] as string)) throw invalid(where, `parameter {${m[1]}} appears twice`);
    names.push(m[1] as string);
  }
  return names;
}

/** Turns one `endpoints[]` entry into a route handler: the whole pipeline is built here, once. */
export function compileEndpoint(ep: Endpoint, index: number, ctx: CompileContext): CompiledEndpoint {
  const { settings } = ctx;
  const method = ep.method ?? GATEWAY_DEFAULTS.method;
  const pattern = ep.endpoint;
  const where = `endpoints[${index}] (${method} ${pattern})`;
  const names = paramNames(pattern, where);
  const timeoutMs = ep.timeout ? positive(`${where} timeout`, parseDuration(ep.timeout)) : settings.timeoutMs;
  const cacheTtlS = ep.cache_ttl ? Math.floor(parseDuration(ep.cache_ttl) / 1000) : settings.cacheTtlS;
  const output = ep.output_encoding ?? settings.outputEncoding;
  const proxyNs = proxyNamespace(ep.extra_config);

  const regular: Backend[] = [];
  const shadowed: Backend[] = [];
  for (const b of ep.backend) (proxyNamespace(b.extra_config).shadow ? shadowed : regular).push(b);
  if (regular.length === 0) throw invalid(where, 'needs at least one backend that is not a shadow');
  const sequential = proxyNs.sequential === true && regular.length > 1;
  if (method !== 'GET' && regular.length > 1) {
    const ok =
      sequential && regular.every((b, i) => i === regular.length - 1 || (b.method ?? method) === 'GET');
    if (!ok) {
      throw invalid(
        where,
        `a ${method} endpoint can only have several backends with "proxy": {"sequential": true} and every backend but the last using GET`,
      );
    }
  }

  const build = (b: Backend, i: number, seq: boolean, part: string) => {
    const bwhere = `${where} ${part}[${i}]`;
    if (b.sd === 'dns')
      throw invalid(bwhere, 'service discovery "sd": "dns" is not supported (list the hosts)');
    const hosts = b.host ?? settings.hosts;
    if (hosts.length === 0) throw invalid(bwhere, 'has no host (set host on the backend or at the root)');
    const graphql = compileGraphql(b.extra_config, names, bwhere);
    const backendMethod = graphql?.method ?? b.method ?? method;
    const limits = backendLimits(
      settings,
      b.extra_config,
      `${method} ${pattern} ${part}[${i}] ${b.url_pattern}`,
    );
    const decode = decoderFor(
      b.encoding ?? GATEWAY_DEFAULTS.encoding,
      b.is_collection === true,
      bwhere,
      limits.maxXmlBytes,
    );
    const format = compileFormatter(b, proxyNamespace(b.extra_config).flatmap_filter);
    const broker = ctx.plugins.brokers.backend(b, {
      where: bwhere,
      hosts,
      method: backendMethod,
      names,
      decode,
      maxBodyBytes: limits.maxBodyBytes,
      format,
      headers: new HeaderPolicy(ep.input_headers, b.input_headers, false),
    });
    if (broker) return broker;
    const martian = b.extra_config?.[MARTIAN];
    const options: BackendClientOptions = {
      where: bwhere,
      backend: b,
      method: backendMethod,
      upstreams: hosts.map((h) => parseHost(h, !b.disable_host_sanitize, bwhere)),
      template: UrlTemplate.compile(b.url_pattern, names, seq ? i : null, bwhere),
      headers: new HeaderPolicy(
        ep.input_headers,
        b.input_headers,
        settings.compression && backendMethod !== 'HEAD',
      ),
      query: new QueryPolicy(ep.input_query_strings, b.input_query_strings),
      decode,
      format,
      cache: ctx.plugins.httpCache(b.extra_config),
      limits,
      executor: ctx.plugins.httpClient(b.extra_config, bwhere),
    };
    if (graphql) return new GraphqlClient(options, ctx.pools, graphql);
    return martian === undefined
      ? new BackendClient(options, ctx.pools)
      : new MartianClient(options, ctx.pools, parseModifier(martian, bwhere));
  };
  const clients = regular.map((b, i) => build(b, i, sequential, 'backend'));
  const shadows = shadowed.map((b, i) => build(b, i, false, 'shadow backend'));
  const poolKeys = [...clients, ...shadows].flatMap((c) => c.poolKeys);

  const strict = settings.router.disable_path_decoding !== true;
  const guard = ctx.plugins.endpoint(ep, where, names);
  const fireShadows = (req: ProxyRequest) => {
    for (const s of shadows) {
      // Fire and forget: the shadow's answer is ignored and outlives the client request if it must.
      const scope = new Scope(timeoutMs);
      s.call({ ...req, scope, trace: null }).then(
        () => scope.dispose(),
        () => scope.dispose(),
      );
    }
  };
  const errorOptions = {
    returnErrorMsg: settings.router.return_error_msg === true,
    transportStatuses: settings.transportStatuses,
  };

  /**
   * The start every handler shares: decoded params, the body (read only when there is one, so a bodiless
   * request goes on without waiting), the request the backends are built from. Null when already answered.
   */
  const prepare = (
    x: Exchange,
    raw: string[],
    scopeMs: number,
  ): ProxyRequest | null | Promise<ProxyRequest | null> => {
    x.begin(pattern);
    const params: string[] = [];
    for (const value of raw) {
      const decoded = decodeParam(value, strict);
      if (decoded === null) {
        x.send(400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'error: encoded url params', false);
        return null;
      }
      params.push(decoded);
    }
    if (guard) {
      const admitted = guard(x, params);
      if (admitted === false) return null;
      if (admitted !== true) return admitted.then((ok) => (ok ? withBody(x, params, scopeMs) : null));
    }
    return withBody(x, params, scopeMs);
  };
  const routerScript = luaEndpoint(ep.extra_config, method, names, where, ctx.plugins.lua);
  const withBody = (x: Exchange, params: string[], scopeMs: number) => {
    if (!hasBody(x.req)) return begin(x, params, null, scopeMs);
    return readBody(x.req, settings.maxBodyBytes).then(
      (body) => begin(x, params, body, scopeMs),
      (err: unknown) => {
        refuseBody(x, err);
        return null;
      },
    );
  };
  /** `modifier/lua-endpoint`: the endpoint starts from the request as its script left it. */
  const scripted = (x: Exchange, params: string[], body: Buffer | null, scopeMs: number) => {
    const view = {
      path: x.path,
      query: x.query,
      host: x.req.headers.host ?? '',
      headers: { ...x.req.headers },
      params,
      body,
    };
    const begun = (v: typeof view | null): ProxyRequest | null => {
      if (!v) return null;
      const req = start(x, v.params, v.body, scopeMs);
      req.query = v.query;
      ctx.plugins.sameRequest(x.req.headers, v.headers);
      req.headers = v.headers;
      req.host = v.host;
      return req;
    };
    const changed = (routerScript as NonNullable<typeof routerScript>)(x, view);
    return changed instanceof Promise ? changed.then(begun) : begun(changed);
  };
  const start = (x: Exchange, params: string[], body: Buffer | null, scopeMs: number): ProxyRequest => {
    const req: ProxyRequest = {
      method,
      path: x.path,
      params,
      sequential: null,
      claims: x.claims,
      query: x.query,
      headers: x.req.headers,
      body,
      clientIp: x.clientIp,
      host: x.req.headers.host ?? '',
      scope: new Scope(scopeMs),
      trace: x.trace,
    };
    // A client that goes away stops the backend calls made for it (the scope ignores this once done).
    x.res.once('close', () => req.scope.abort(CLIENT_GONE));
    if (shadows.length > 0) fireShadows(req);
    return req;
  };
  const begin = routerScript ? scripted : start;

  if (output === 'no-op') {
    const client = clients[0];
    if (clients.length !== 1 || (regular[0]?.encoding ?? 'json') !== 'no-op') {
      throw invalid(where, 'output_encoding no-op needs exactly one backend, with encoding no-op');
    }
    if (!(client instanceof BackendClient))
      throw invalid(where, 'a message broker backend cannot be streamed (output_encoding no-op)');
    ctx.plugins.streamed(regular[0]?.extra_config, where);
    ctx.plugins.refuseStreamed(ep, where);
    ctx.plugins.streamed(ep.extra_config, where);
    const stream = (x: Exchange, req: ProxyRequest | null) => {
      if (!req) return;
      const { pool, path, url } = client.target(req);
      const options = client.dispatchOptions(req, path);
      const own = ['X-Switchyard', settings.versionHeader, COMPLETED_HEADER, 'false'];
      if (x.rt.closing) own.push('Connection', 'close');
      const settled = (c: StreamCall): void => {
        x.trace?.push(c.info());
        // A redirect Go's client follows: one more call, at most MAX_REDIRECTS of them.
        if (!c.error && c.next) {
          if (c.hops < MAX_REDIRECTS) {
            const { dispatcher, options: sent, done } = dispatchHop(client.pools, c.next);
            const call = c.successor(c.next, sent);
            req.scope.add(call);
            dispatcher.dispatch(sent, call);
            done();
            return;
          }
          c.error = tooManyRedirects(client.method, c.next.url);
        }
        req.scope.dispose();
        if (c.error) logFailure(x, c.error);
        if (c.error && !c.headersSent)
          answerFailure(x, c.error, ownHeaders(settings.versionHeader), errorOptions);
        else x.finished(c.status, c.bytes, c.error === null);
      };
      const gzipAdded = HeaderPolicy.addedGzip(options.headers as string[]);
      const call = new StreamCall(
        url,
        client.method,
        x.res,
        own,
        settled,
        options,
        client.replayBody,
        client.pools.own,
        gzipAdded,
      );
      req.scope.add(call);
      pool.dispatch(options, call);
    };
    const handler: RouteHandler = (x, raw) => {
      const req = prepare(x, raw, timeoutMs);
      if (req instanceof Promise) return req.then((r) => stream(x, r));
      stream(x, req);
    };
    return {
      method,
      pattern,
      handler: ctx.plugins.traced(ep, pattern, method, handler),
      poolKeys,
      timeoutMs,
    };
  }

  const built = buildStages(clients, {
    proxy: proxyNs,
    sequential,
    concurrentCalls: Math.max(1, ep.concurrent_calls ?? GATEWAY_DEFAULTS.concurrent_calls),
    pattern,
    logger: ctx.logger,
    backend: (call, i) => {
      const b = regular[i] as Backend;
      const bwhere = `${where} backend[${i}]`;
      // The backend request's path as the client builds it (validation/cel's req_path at backend level).
      const template = UrlTemplate.compile(b.url_pattern, names, sequential ? i : null, bwhere);
      const path = (req: ProxyRequest) => template.render(req.params, req.sequential, req.claims);
      const target = backendTarget(ep, b, b.host ?? settings.hosts, method, names, path);
      const own = ctx.plugins.roundTrip(target, call);
      const scripted = luaStage(b.extra_config, LUA_BACKEND, own, names, bwhere, ctx.plugins.lua);
      return ctx.plugins.backend(target, scripted);
    },
  });
  // krakend-lua's proxy wraps the other endpoint-level plugins (it is the outer proxy factory); the modifier
  // plugins sit inside the proxy-level plugins, as lura's plugin middleware sits inside krakend-ce's.
  // krakend-otel's proxy layer is the outermost proxy factory of krakend-ce.
  const stage = ctx.plugins.tracedProxy(
    ep,
    pattern,
    method,
    luaStage(
      ep.extra_config,
      LUA_PROXY,
      ctx.plugins.proxy(ep, where, names, ctx.plugins.endpointStage(ep, where, names, built.stage)),
      names,
      where,
      ctx.plugins.lua,
    ),
  );
  const scopeMs = timeoutMs * built.timeoutShare;
  const scriptable = ep.extra_config?.[LUA_PROXY] || regular.some((b) => b.extra_config?.[LUA_BACKEND]);
  const render: Render = scriptable ? withScriptHeaders(renderFor(output, where)) : renderFor(output, where);
  const options: AnswerOptions = {
    versionHeader: settings.versionHeader,
    cacheControl: cacheTtlS !== 0 ? `public, max-age=${cacheTtlS}` : null,
    ...errorOptions,
  };

  // auth/signer writes the answer itself; chosen here so other endpoints do not test for it per request.
  const signed = ctx.plugins.signer(ep, where);
  const run = (x: Exchange, req: ProxyRequest | null): Promise<void> | undefined => {
    if (!req) return;
    return stage(req).then((result) => {
      req.scope.dispose();
      answer(x, result, render, options);
    });
  };
  const runSigned = (x: Exchange, req: ProxyRequest | null): Promise<void> | undefined => {
    if (!req || !signed) return;
    return stage(req).then((result) => {
      req.scope.dispose();
      return signed(x, result);
    });
  };
  const handler: RouteHandler = (x, raw) => {
    const req = prepare(x, raw, scopeMs);
    return req instanceof Promise ? req.then((r) => run(x, r)) : run(x, req);
  };
  const signedHandler: RouteHandler = (x, raw) => {
    const req = prepare(x, raw, scopeMs);
    return req instanceof Promise ? req.then((r) => runSigned(x, r)) : runSigned(x, req);
  };
  const chosen = signed ? signedHandler : handler;
  return { method, pattern, handler: ctx.plugins.traced(ep, pattern, method, chosen), poolKeys, timeoutMs };
}
