import type { Exchange } from '../request/exchange.js';
import { asBuffer, type RouterState } from './protocol.js';
import type { LuaScripts } from './proxy.js';
import type { RouterView } from './router-bridge.js';
import { type LuaSettings, luaSources } from './sources.js';
import { LuaScriptError } from './vm.js';

export type { RouterView } from './router-bridge.js';

/** `modifier/lua-endpoint` (endpoint level): a script run on the HTTP request before the endpoint. */
export const LUA_ENDPOINT = 'modifier/lua-endpoint';

/** Runs the router-level script on a request; returns the changed view, or null once it answered. */
export type RouterScript = (x: Exchange, view: RouterView) => RouterView | null | Promise<RouterView | null>;

/**
 * `modifier/lua-endpoint` of an endpoint, or null: its `pre` runs on the client's request (krakend-lua's
 * `ctx`). A failure answers the client at once, as gin's AbortWithError does: the status
 * `custom_error` gave (500 otherwise), its content type, no body.
 */
export function luaEndpoint(
  extra: Record<string, unknown> | undefined,
  method: string,
  names: readonly string[],
  where: string,
  scripts: LuaScripts,
): RouterScript | null {
  const cfg = extra?.[LUA_ENDPOINT] as LuaSettings | undefined;
  if (!cfg) return null;
  const sources = luaSources(cfg, `${where} ${LUA_ENDPOINT}`);
  const script = scripts(cfg.allow_open_libs === true, 'router');
  const pre = cfg.pre ?? '';
  return async (x, view) => {
    try {
      let code: string;
      try {
        code = sources();
      } catch (err) {
        throw new LuaScriptError('SWY_LUA_ERROR', (err as Error).message);
      }
      const state: RouterState = { method, names, view };
      const changed = await script.exec(script.request(), 'pre', false, code, pre, state);
      return { ...changed.view, body: asBuffer(changed.view.body) };
    } catch (err) {
      const e = err as LuaScriptError;
      x.log().error({ err: e.message, code: e.code }, `${LUA_ENDPOINT} script failed`);
      x.send(e.clientStatus ?? 500, e.contentType ? { 'Content-Type': e.contentType } : {}, null, false);
      return null;
    }
  };
}
