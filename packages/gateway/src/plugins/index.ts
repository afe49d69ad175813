import type { IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type {
  Backend,
  BotDetectorNamespace,
  CelNamespace,
  CircuitBreakerNamespace,
  CorsNamespace,
  Endpoint,
  EventsNamespace,
  HttpCacheNamespace,
  HttpClientPluginNamespace,
  HttpSecureNamespace,
  HttpServerPluginNamespace,
  JwtValidatorNamespace,
  ModifierPluginNamespace,
  OpenTelemetryNamespace,
  RateLimitProxyNamespace,
  RateLimitProxyRedisNamespace,
  RateLimitRouterNamespace,
  RateLimitRouterRedisNamespace,
  RedisNamespace,
  SignerNamespace,
} from '@switchyard/config';
import { type Logger, SwitchyardError } from '@switchyard/shared';
import { Brokers } from '../brokers/index.js';
import type { BackendHealth } from '../events/health.js';
import { LUA_BACKEND, LUA_PROXY, LuaRunner, type LuaScripts } from '../lua/index.js';
import { MARTIAN, parseModifier } from '../martian/modifiers.js';
import type { ProxyRequest, Stage } from '../pipeline/types.js';
import type { RouteHandler } from '../request/exchange.js';
import { BOT_DETECTOR, compileBotDetector } from '../security/bot-detector.js';
import { compileHttpSecure, HTTP_SECURE } from '../security/http-secure.js';
import { CEL, type CelChecks, celJwtGuard, compileCel, withCel } from '../validation/cel/cel.js';
import { CelRunner } from '../validation/cel/runner.js';
import { SchemaRunner } from '../validation/json-schema/runner.js';
import { JSON_SCHEMA, withJsonSchema } from '../validation/json-schema.js';
import { BREAKER, CircuitBreaker } from './circuit-breaker.js';
import { CORS, type CorsHandler, compileCors } from './cors.js';
import { HTTP_CACHE, HttpCache } from './http-cache.js';
import { compileJwtValidator, JWT_VALIDATOR } from './jwt-validator.js';
import {
  type ClientPlugin,
  compileClientPlugin,
  NO_PLUGINS,
  type PluginRegistry,
  type ServerHandler,
  type ServerPluginOptions,
  withModifiers,
  wrapServerHandler,
} from './modules/index.js';
import { OPENTELEMETRY, Telemetry } from './opentelemetry/telemetry.js';
import { RATELIMIT_PROXY, RATELIMIT_PROXY_REDIS, withProxyLimit } from './ratelimit-proxy.js';
import {
  compileRouterLimit,
  type EndpointGuard,
  RATELIMIT_ROUTER,
  RATELIMIT_ROUTER_REDIS,
} from './ratelimit-router.js';
import { RedisConnections } from './redis/connections.js';
import type { SharedStore } from './redis/shared-bucket.js';
import { compileSigner, SIGNER, type SignedAnswer } from './signer.js';

export type { CorsHandler } from './cors.js';

/** The plugin namespaces a streamed (`no-op`) endpoint does not run. */
const PLUGIN_NAMESPACES = ['plugin/http-client', 'plugin/req-resp-modifier'];

/** The root namespace of named Redis connections (KrakenD Enterprise's). */
export const REDIS = 'redis';
export type { EndpointGuard } from './ratelimit-router.js';
export type { RedisStatus } from './redis/connections.js';

/** Reports a plugin's runtime transition (the gateway passes the event hub's `emitPluginUpdated`). */
export type PluginStateListener = (
  plugin: string,
  scope: string,
  change: 'state',
  from: unknown,
  to: unknown,
) => void;

/** One backend as its plugins see it. */
export interface BackendTarget {
  /** As `plugin_updated` names it: `GET /users/{id} backend[0] /users/{id}`. */
  scope: string;
  /** The first host and the url_pattern, for health and errors. */
  url: string;
  method: string;
  extra: Record<string, unknown> | undefined;
  /** The endpoint's `{param}` names, in order (`validation/cel`'s `req_params`). */
  params: readonly string[];
  /** The endpoint's pattern and method, and the backend's url_pattern and first host (telemetry). */
  endpoint: string;
  endpointMethod: string;
  urlPattern: string;
  host: string;
  /** The backend request's path (its url_pattern filled), for `validation/cel`'s `req_path`. */
  path: (req: ProxyRequest) => string;
}

/** A backend of an endpoint, named as the reload's `plugin_updated` events name it. */
export function backendTarget(
  ep: Endpoint,
  b: Backend,
  hosts: readonly string[],
  method: string,
  params: readonly string[],
  path: (req: ProxyRequest) => string,
): BackendTarget {
  const endpoint = `${method} ${ep.endpoint}`;
  return {
    params,
    path,
    scope: `${endpoint} backend[${ep.backend.indexOf(b)}] ${b.url_pattern}`.trimEnd(),
    url: `${hosts[0] ?? ''}${b.url_pattern}`,
    method: b.method ?? method,
    extra: b.extra_config,
    endpoint: ep.endpoint,
    endpointMethod: method,
    urlPattern: b.url_pattern,
    host: hosts[0] ?? '',
  };
}

/**
 * The gateway's plugins, compiled from `extra_config` when routes are built. Stateful plugins (breakers)
 * outlive a reload when their scope and settings are unchanged, so a reload does not close an open breaker.
 */
/** A build that is not in force yet: exactly one of `commit` and `abandon` follows. */
export interface PreparedBuild<T> {
  readonly value: T;
  /** `previousDone`: settles once no request runs on the build in force until now (at once by default). */
  commit(previousDone?: Promise<void>): void;
  abandon(): void;
}

export class PluginHost {
  private breakers = new Map<string, CircuitBreaker>();
  private building: Map<string, CircuitBreaker> | null = null;
  private sharedCache: HttpCache | null = null;
  /** The CEL evaluator thread, started by the first `validation/cel` compiled. */
  private celRunner: CelRunner | null = null;
  /** The JSON Schema validator thread, for bodies too large to validate inline (started by the first). */
  private schemaRunner: SchemaRunner | null = null;
  /** The Lua thread, started by the first `modifier/lua-*` compiled; the scripts in force, and being built. */
  private luaRunner: LuaRunner | null = null;
  private luaScripts: number[] = [];
  private luaBuilding: number[] | null = null;
  /** The root `redis` namespace's connections, for the Redis-backed rate limits. */
  readonly redis: RedisConnections;
  /** The backends that are message brokers (AMQP, Pub/Sub) and their connections. */
  readonly brokers: Brokers;
  /**
   * `telemetry/opentelemetry`, built from the first file (its exporters change only on restart); its SDK
   * is imported in the background (`telemetryReady`).
   */
  private telemetry: Telemetry | null = null;
  private telemetryRead = false;

  constructor(
    private readonly onState: PluginStateListener,
    private readonly logger: Logger,
    /** The plugin modules loaded from the root `plugin` folder. */
    readonly modules: PluginRegistry = NO_PLUGINS,
  ) {
    this.redis = new RedisConnections(logger.child({ component: 'redis' }));
    this.brokers = new Brokers(logger.child({ component: 'brokers' }));
  }

  /**
   * Builds routes with this host from the file's root `extra_config`; the plugins of backends no longer
   * configured (and Redis connections no longer named) are released after, and kept when the build fails.
   */
  compile<T>(root: Record<string, unknown> | undefined, build: () => T, serviceName?: string): T {
    const prepared = this.prepare(root, build, serviceName);
    prepared.commit();
    return prepared.value;
  }

  /**
   * Builds as `compile` does without changing what is in force: `commit` then releases what the new build
   * no longer uses, `abandon` releases what only the new build used. One preparation at a time.
   */
  prepare<T>(
    root: Record<string, unknown> | undefined,
    build: () => T,
    serviceName?: string,
  ): PreparedBuild<T> {
    const next = new Map<string, CircuitBreaker>();
    this.building = next;
    const scripts: number[] = [];
    this.luaBuilding = scripts;
    if (!this.telemetryRead) {
      this.telemetryRead = true;
      const otel = root?.[OPENTELEMETRY] as OpenTelemetryNamespace | undefined;
      const events = root?.['telemetry/events'] as EventsNamespace | undefined;
      this.telemetry = otel
        ? Telemetry.create(otel, {
            serviceName,
            redact: { headers: events?.redact_headers, query: events?.redact_query },
            logger: this.logger,
          })
        : null;
    }
    let value: T;
    try {
      this.redis.prepare(root?.[REDIS] as RedisNamespace | undefined);
      this.brokers.begin();
      value = build();
    } catch (err) {
      this.redis.abandon();
      this.brokers.abandon();
      throw err;
    } finally {
      this.building = null;
      this.luaBuilding = null;
    }
    let settled = false;
    return {
      value,
      commit: (previousDone?: Promise<void>) => {
        if (settled) return;
        settled = true;
        for (const [scope, b] of this.breakers) if (next.get(scope) !== b) b.dispose();
        this.breakers = next;
        this.luaRunner?.forget(this.luaScripts);
        this.luaScripts = scripts;
        this.redis.commit();
        this.brokers.commit(previousDone);
      },
      abandon: () => {
        if (settled) return;
        settled = true;
        for (const [scope, b] of next) if (this.breakers.get(scope) !== b) b.dispose();
        this.luaRunner?.forget(scripts);
        this.redis.abandon();
        this.brokers.abandon();
      },
    };
  }

  /**
   * Releases what outlives reloads (Redis and broker connections, the CEL and JSON Schema threads;
   * telemetry, after sending what it holds).
   */
  async close(): Promise<void> {
    this.redis.close();
    this.celRunner?.close();
    this.schemaRunner?.close();
    this.luaRunner?.close();
    // The exporters' last sending (bounded) does not hold the brokers' connections open.
    await Promise.all([this.telemetry?.shutdown(), this.brokers.close()]);
  }

  /** Settles once the telemetry SDK is loaded (at once without telemetry); the gateway listens after. */
  telemetryReady(): Promise<void> {
    return this.telemetry?.ready ?? Promise.resolve();
  }

  /** The global telemetry layer around an endpoint's handler (the handler itself without telemetry). */
  traced(ep: Endpoint, pattern: string, method: string, handler: RouteHandler): RouteHandler {
    return this.telemetry ? this.telemetry.endpoint(ep.extra_config, pattern, method, handler) : handler;
  }

  /** A script gave the request new headers: telemetry finds the request's trace through them too. */
  sameRequest(from: IncomingHttpHeaders, to: IncomingHttpHeaders): void {
    this.telemetry?.sameRequest(from, to);
  }

  /** The proxy telemetry layer around an endpoint's pipeline (the pipeline itself without telemetry). */
  tracedProxy(ep: Endpoint, pattern: string, method: string, stage: Stage): Stage {
    return this.telemetry ? this.telemetry.proxy(ep.extra_config, pattern, method, stage) : stage;
  }

  /** The telemetry of a backend's own call, inside its plugins (the call itself without telemetry). */
  roundTrip(target: BackendTarget, call: Stage): Stage {
    return this.telemetry ? this.telemetry.roundTrip(target, call) : call;
  }

  /** `security/cors` of the root, run before routing. */
  cors(extra: Record<string, unknown> | undefined): CorsHandler | null {
    const cfg = extra?.[CORS] as CorsNamespace | undefined;
    return cfg ? compileCors(cfg) : null;
  }

  /**
   * What runs before routing, in krakend-ce's order: `security/cors` (KrakenD's HTTP server wraps gin
   * with it), then gin's middlewares `security/http` and `security/bot-detector`. Each returns whether it
   * answered; null when the root configures none, so a request pays nothing more than before.
   */
  front(extra: Record<string, unknown> | undefined): CorsHandler | null {
    const handlers: CorsHandler[] = [];
    const cors = this.cors(extra);
    if (cors) handlers.push(cors);
    const secure = extra?.[HTTP_SECURE] as HttpSecureNamespace | undefined;
    if (secure) handlers.push(compileHttpSecure(secure, 'extra_config'));
    const bots = extra?.[BOT_DETECTOR] as BotDetectorNamespace | undefined;
    const detector = bots ? this.botDetector(bots, 'extra_config', true) : null;
    if (detector) handlers.push(detector);
    if (handlers.length <= 1) return handlers[0] ?? null;
    return (x) => handlers.some((h) => h(x));
  }

  /**
   * A bot detector whose pattern does not compile is left out with a warning, as krakend-botdetector
   * logs the error and serves without it (at the root and on an endpoint).
   */
  private botDetector(cfg: BotDetectorNamespace, where: string, root: boolean): CorsHandler | null {
    try {
      return compileBotDetector(cfg, where, root);
    } catch (err) {
      this.logger.warn({ err }, `${where} ${BOT_DETECTOR}: serving without the bot detector`);
      return null;
    }
  }

  /**
   * The checks an endpoint's requests pass before its backends are called, in KrakenD's order (bot
   * detector, JWT validation, then rate limits); null when there are none.
   */
  endpoint(ep: Endpoint, where: string, names: readonly string[]): EndpointGuard | null {
    const guards: EndpointGuard[] = [];
    const bots = ep.extra_config?.[BOT_DETECTOR] as BotDetectorNamespace | undefined;
    const isBot = bots ? this.botDetector(bots, where, false) : null;
    if (isBot) guards.push((x) => !isBot(x));
    const jwt = ep.extra_config?.[JWT_VALIDATOR] as JwtValidatorNamespace | undefined;
    if (jwt) guards.push(compileJwtValidator(jwt, where, this.logger));
    // krakend-jose runs validation/cel's JWT expressions as its rejecter, right after the token is valid.
    const celChecks = jwt ? this.cel(ep.extra_config, where) : null;
    const rejecter = celChecks ? celJwtGuard(celChecks, this.runner()) : null;
    if (rejecter) guards.push(rejecter);
    const limit = ep.extra_config?.[RATELIMIT_ROUTER] as RateLimitRouterNamespace | undefined;
    const local = limit ? compileRouterLimit(limit, where, names) : null;
    if (local) guards.push(local);
    const shared = ep.extra_config?.[RATELIMIT_ROUTER_REDIS] as RateLimitRouterRedisNamespace | undefined;
    const scope = `${ep.method ?? 'GET'} ${ep.endpoint}`;
    const limiter = shared
      ? compileRouterLimit(
          shared,
          where,
          names,
          this.store(shared, `${where} ${RATELIMIT_ROUTER_REDIS}`, scope),
        )
      : null;
    if (limiter) guards.push(limiter);
    return chain(guards);
  }

  /** The root's `plugin/http-server` plugins around the gateway's handler; null without any. */
  serverHandler(
    extra: Record<string, unknown> | undefined,
    handler: ServerHandler,
    o: Omit<ServerPluginOptions, 'logger'>,
  ): ServerHandler | null {
    const cfg = extra?.['plugin/http-server'] as HttpServerPluginNamespace | undefined;
    return wrapServerHandler(cfg, this.modules, handler, { ...o, logger: this.logger });
  }

  /** A backend's `plugin/http-client` executor, replacing its HTTP call; null without one. */
  httpClient(extra: Record<string, unknown> | undefined, where: string): ClientPlugin | null {
    const cfg = extra?.['plugin/http-client'] as HttpClientPluginNamespace | undefined;
    return cfg ? compileClientPlugin(cfg, where, this.modules) : null;
  }

  /** An endpoint's `plugin/req-resp-modifier` around its whole pipeline. */
  endpointStage(ep: Endpoint, where: string, params: readonly string[], stage: Stage): Stage {
    const cfg = ep.extra_config?.['plugin/req-resp-modifier'] as ModifierPluginNamespace | undefined;
    return cfg ? withModifiers(cfg, where, params, this.modules, stage) : stage;
  }

  /** `auth/signer` of an endpoint: how its answer is written instead of the usual render; null without. */
  signer(ep: Endpoint, where: string): SignedAnswer | null {
    const cfg = ep.extra_config?.[SIGNER] as SignerNamespace | undefined;
    return cfg ? compileSigner(cfg, where, this.logger) : null;
  }

  /**
   * Wraps an endpoint's pipeline with its proxy-level plugins, in krakend-ce's order (innermost first):
   * json-schema, then CEL.
   */
  proxy(ep: Endpoint, where: string, names: readonly string[], stage: Stage): Stage {
    let wrapped = stage;
    const extra = ep.extra_config;
    if (extra && JSON_SCHEMA in extra) {
      this.schemaRunner ??= new SchemaRunner(this.logger.child({ component: 'json-schema' }));
      wrapped = withJsonSchema(extra[JSON_SCHEMA], where, this.schemaRunner, wrapped);
    }
    const cel = this.cel(extra, where);
    if (cel) wrapped = withCel(cel, this.runner(), names, wrapped);
    return wrapped;
  }

  private cel(extra: Record<string, unknown> | undefined, where: string): CelChecks | null {
    const defs = extra?.[CEL] as CelNamespace | undefined;
    return defs ? compileCel(defs, where) : null;
  }

  /** A `modifier/lua-*` namespace's script, on the gateway's Lua thread; released when a reload drops it. */
  readonly lua: LuaScripts = (open, level) => {
    this.luaRunner ??= new LuaRunner(this.logger.child({ component: 'lua' }));
    const script = this.luaRunner.script(open, level);
    (this.luaBuilding ?? this.luaScripts).push(script.key);
    return script;
  };

  private runner(): CelRunner {
    this.celRunner ??= new CelRunner(this.logger.child({ component: 'cel' }));
    return this.celRunner;
  }

  /** An endpoint streamed unbuffered (`no-op`) has no pipeline to wrap: its proxy plugins cannot run. */
  refuseStreamed(ep: Endpoint, where: string): void {
    const extras = [ep.extra_config, ...ep.backend.map((b) => b.extra_config)];
    for (const ns of [JSON_SCHEMA, CEL])
      if (extras.some((e) => e?.[ns] !== undefined))
        throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: ${ns} cannot run on a no-op endpoint`);
  }

  /**
   * Wraps one backend's stage with its plugins, in KrakenD's order: CEL innermost, the rate limit, then
   * the breaker outermost (so calls refused by the rate limit count as breaker failures, as in KrakenD);
   * the modifier plugins around all of them, as lura's backend plugin middleware.
   */
  backend(target: BackendTarget, stage: Stage): Stage {
    let wrapped = stage;
    const cel = this.cel(target.extra, target.scope);
    if (cel) wrapped = withCel(cel, this.runner(), target.params, wrapped, target);
    const limit = target.extra?.[RATELIMIT_PROXY] as RateLimitProxyNamespace | undefined;
    if (limit) wrapped = withProxyLimit(limit, target.url, target.method, wrapped);
    const shared = target.extra?.[RATELIMIT_PROXY_REDIS] as RateLimitProxyRedisNamespace | undefined;
    if (shared) {
      const store = this.store(shared, `${target.scope} ${RATELIMIT_PROXY_REDIS}`, target.scope);
      wrapped = withProxyLimit(shared, target.url, target.method, wrapped, store);
    }
    const cb = target.extra?.[BREAKER] as CircuitBreakerNamespace | undefined;
    if (cb) wrapped = this.breaker(target, cb).wrap(wrapped);
    const modifiers = target.extra?.['plugin/req-resp-modifier'] as ModifierPluginNamespace | undefined;
    if (modifiers) wrapped = withModifiers(modifiers, target.scope, target.params, this.modules, wrapped);
    if (this.telemetry) wrapped = this.telemetry.backend(target, wrapped);
    return wrapped;
  }

  /**
   * `qos/http-cache` of one backend: its own cache, or with `shared` the one cache every shared backend
   * uses (an answer stored for one serves the others calling the same URL), kept across reloads.
   */
  httpCache(extra: Record<string, unknown> | undefined): HttpCache | null {
    const cfg = extra?.[HTTP_CACHE] as HttpCacheNamespace | undefined;
    if (!cfg) return null;
    if (!cfg.shared) return new HttpCache(cfg);
    this.sharedCache ??= new HttpCache(cfg);
    return this.sharedCache;
  }

  /** A `no-op` (streamed) backend does not run the backend plugins yet: say so rather than ignore them. */
  streamed(extra: Record<string, unknown> | undefined, where: string): void {
    const ignored = [BREAKER, RATELIMIT_PROXY, RATELIMIT_PROXY_REDIS, HTTP_CACHE, LUA_PROXY, LUA_BACKEND];
    for (const ns of [...ignored, ...PLUGIN_NAMESPACES])
      if (extra?.[ns])
        this.logger.warn({ endpoint: where, plugin: ns }, 'not applied to no-op endpoints; ignored');
    // The request modifiers apply; the response is streamed as the backend sent it.
    if (extra?.[MARTIAN] !== undefined && parseModifier(extra[MARTIAN], where).response)
      this.logger.warn(
        { endpoint: where, plugin: `${MARTIAN} (response)` },
        'not applied to no-op endpoints; ignored',
      );
  }

  /** Every breaker's state, for `node_health`. */
  breakerStates(): BackendHealth[] {
    return [...this.breakers.values()].map((b) => ({
      url: b.url,
      breaker: b.current,
      scope: b.scope,
      ...(b.config.name ? { name: b.config.name } : {}),
    }));
  }

  /** The Redis connection a Redis-backed rate limit names, and the limit's name in Redis. */
  private store(
    cfg: { connection_name?: string | undefined; connection_pool?: string | undefined },
    where: string,
    scope: string,
  ): SharedStore {
    const name = cfg.connection_name ?? cfg.connection_pool;
    if (name === undefined)
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: needs connection_name (a redis.connection_pools name)`,
      );
    return { connection: this.redis.get(name, where), scope };
  }

  private breaker(target: BackendTarget, config: CircuitBreakerNamespace): CircuitBreaker {
    const old = this.breakers.get(target.scope);
    const b =
      old && isDeepStrictEqual(old.config, config)
        ? old
        : new CircuitBreaker(config, target.scope, target.url, target.method, this.onState, this.logger);
    this.building?.set(target.scope, b);
    return b;
  }
}

/** Runs guards in order; the first that answers the request stops the rest. */
function chain(guards: readonly EndpointGuard[]): EndpointGuard | null {
  if (guards.length === 0) return null;
  if (guards.length === 1) return guards[0] as EndpointGuard;
  const from = (
    i: number,
    x: Parameters<EndpointGuard>[0],
    params: readonly string[],
  ): boolean | Promise<boolean> => {
    for (; i < guards.length; i++) {
      const ok = (guards[i] as EndpointGuard)(x, params);
      if (ok === false) return false;
      if (ok !== true) {
        const next = i + 1;
        return ok.then((admitted) => admitted && from(next, x, params));
      }
    }
    return true;
  };
  return (x, params) => from(0, x, params);
}
