import { type Endpoint, GATEWAY_DEFAULTS, type GatewayFile } from '@switchyard/config';
import { debugHandler } from '../builtins/debug.js';
import { echoHandler } from '../builtins/echo.js';
import { health } from '../builtins/health.js';
import { type CompileContext, type CompiledEndpoint, compileEndpoint } from '../pipeline/endpoint.js';
import type { RouteHandler } from '../request/exchange.js';
import { Router } from './router.js';
import { unservedHandler } from './unserved.js';

/** What gin's `Any` registers, for the built-in catch-all routes. */
const ANY = ['GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'DELETE', 'CONNECT', 'TRACE'];

export interface Routes {
  router: Router<RouteHandler>;
  /** The pools the routes use (others can be closed). */
  poolKeys: Set<string>;
  /** The longest endpoint timeout: how long requests on replaced routes can still run. */
  maxTimeoutMs: number;
}

/**
 * One endpoint's route. An endpoint the loader marked unserved, or whose pipeline cannot be built (a
 * feature Switchyard lacks), answers 500 instead of taking the whole gateway down.
 */
function compileOrUnserved(ep: Endpoint, index: number, ctx: CompileContext): CompiledEndpoint {
  const method = (ep.method ?? GATEWAY_DEFAULTS.method).toUpperCase();
  const unserved = (reason: string): CompiledEndpoint => ({
    method,
    pattern: ep.endpoint,
    handler: unservedHandler(ep, method, reason, ctx.logger),
    poolKeys: [],
    timeoutMs: 0,
  });
  if (ep.unserved !== undefined) return unserved(ep.unserved);
  try {
    return compileEndpoint(ep, index, ctx);
  } catch (err) {
    // A setting the pipeline cannot build, or anything unforeseen in one endpoint: that endpoint, not the
    // gateway, is down, and the log says why.
    return unserved(err instanceof Error ? err.message : String(err));
  }
}

/** Compiles the built-in routes and every endpoint of a gateway file, once. */
export function buildRoutes(file: GatewayFile, ctx: CompileContext): Routes {
  const { settings } = ctx;
  const router = new Router<RouteHandler>(
    settings.router.disable_redirect_trailing_slash !== true,
    settings.router.disable_redirect_fixed_path !== true,
  );
  if (settings.router.disable_health !== true)
    router.add('GET', settings.router.health_path ?? '/__health', health);
  if (settings.debug) {
    const handler = debugHandler(settings.maxBodyBytes);
    for (const m of ANY) router.add(m, '/__debug/*', handler);
  }
  if (settings.echo) {
    const handler = echoHandler(settings.maxBodyBytes);
    for (const m of ANY) router.add(m, '/__echo/*', handler);
  }
  const poolKeys = new Set<string>();
  const methodsByPath = new Map<string, string[]>();
  let maxTimeoutMs = settings.timeoutMs;
  (file.endpoints ?? []).forEach((ep, i) => {
    const compiled = compileOrUnserved(ep, i, ctx);
    router.add(compiled.method, compiled.pattern, compiled.handler);
    for (const k of compiled.poolKeys) poolKeys.add(k);
    methodsByPath.set(compiled.pattern, [...(methodsByPath.get(compiled.pattern) ?? []), compiled.method]);
    maxTimeoutMs = Math.max(maxTimeoutMs, compiled.timeoutMs);
  });
  if (settings.router.auto_options === true) {
    for (const [pattern, methods] of methodsByPath) {
      if (methods.includes('OPTIONS')) continue;
      const allow = [...methods].sort().join(', ');
      router.add('OPTIONS', pattern, (x) => {
        x.begin(pattern);
        x.send(200, { Allow: allow, 'X-Switchyard': settings.versionHeader }, null, true);
      });
    }
  }
  return { router, poolKeys, maxTimeoutMs };
}
