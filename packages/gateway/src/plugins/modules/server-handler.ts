import type { ServerResponse } from 'node:http';
import type { HttpServerPluginNamespace } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import type { ServerHandler } from './api.js';
import { isThenable } from './failure.js';
import type { PluginRegistry } from './registry.js';

export const SERVER = 'plugin/http-server';

/** What a log line names: the path, never the query (it may carry a token), as the access log does. */
const pathOf = (url: string | undefined) => (url ?? '').split('?', 1)[0];

export interface ServerPluginOptions {
  /** How long a request may stay in the plugins before the gateway answers 500 (the root timeout). */
  timeoutMs: number;
  /** Called for a request the plugins answered without passing it on (the gateway counts it done). */
  answeredByPlugin: () => void;
  logger: Logger;
}

/**
 * The gateway's handler wrapped by the root's `plugin/http-server` plugins as lura wraps them: each named
 * plugin around the ones before it (the last named runs first). As KrakenD does, a name no module
 * registered and a plugin whose create throws are skipped with an error in the log. Null when none apply.
 * A plugin that throws or rejects is answered 500 (each layer is guarded, so a plugin that ignores what
 * the next one returns cannot leave a rejection unhandled); one that neither answers nor passes the
 * request on within the timeout is answered 500 too, and a late pass-on is ignored.
 */
export function wrapServerHandler(
  cfg: HttpServerPluginNamespace | undefined,
  registry: PluginRegistry,
  handler: ServerHandler,
  o: ServerPluginOptions,
): ServerHandler | null {
  if (!cfg) return null;
  const names = typeof cfg.name === 'string' ? [cfg.name] : cfg.name;
  const namespace = cfg as Record<string, unknown>;
  const passed = new WeakSet<ServerResponse>();
  const fail = (res: ServerResponse) => {
    if (!res.headersSent) res.writeHead(500, { 'Content-Length': 0 }).end();
    else res.destroy();
  };
  const guard =
    (name: string, h: ServerHandler): ServerHandler =>
    (req, res) => {
      const threw = (err: unknown) => {
        o.logger.error(
          { err, path: pathOf(req.url), plugin: name, namespace: SERVER },
          'a server plugin threw',
        );
        if (!passed.has(res)) fail(res);
      };
      try {
        // An async handler's rejection is caught too: left alone it would stop the process.
        const done: unknown = h(req, res);
        if (isThenable(done)) done.then(undefined, threw);
      } catch (err) {
        threw(err);
      }
    };
  let wrapped: ServerHandler = (req, res) => {
    if (res.writableEnded || res.destroyed) return;
    passed.add(res);
    handler(req, res);
  };
  let applied = 0;
  for (const name of names) {
    const plugin = registry.server.get(name);
    if (!plugin) {
      o.logger.error({ plugin: name, namespace: SERVER }, 'no loaded plugin has this name; skipped');
      continue;
    }
    try {
      const next = plugin.create({ config: namespace[name], namespace, where: 'root' }, wrapped);
      if (typeof next !== 'function') throw new Error('create returned no handler');
      wrapped = guard(name, next);
      applied++;
    } catch (err) {
      o.logger.error({ err, plugin: name, namespace: SERVER }, 'the plugin could not be created; skipped');
    }
  }
  if (applied === 0) return null;
  const chain = wrapped;
  return (req, res) => {
    const timer = setTimeout(() => {
      if (passed.has(res) || res.writableEnded) return;
      o.logger.error({ path: pathOf(req.url), namespace: SERVER }, 'a server plugin did not answer in time');
      fail(res);
    }, o.timeoutMs);
    res.once('close', () => {
      clearTimeout(timer);
      if (!passed.has(res)) o.answeredByPlugin();
    });
    chain(req, res);
  };
}
