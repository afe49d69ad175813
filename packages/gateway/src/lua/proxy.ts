import type { ProxyRequest, ProxyResult, Stage } from '../pipeline/types.js';
import { asBuffer, type ProxyState } from './protocol.js';
import type { LuaScript } from './runner.js';
import { type LuaSettings, luaSources } from './sources.js';
import { type LuaLevel, LuaScriptError } from './vm.js';

/** `modifier/lua-proxy` (endpoint) and `modifier/lua-backend` (backend). */
export const LUA_PROXY = 'modifier/lua-proxy';
export const LUA_BACKEND = 'modifier/lua-backend';

/** Makes the script of one configured namespace (its VM on the gateway's Lua thread). */
export type LuaScripts = (open: boolean, level: LuaLevel) => LuaScript;

/**
 * Wraps a stage with a Lua namespace as krakend-lua's proxy does: `pre` can change the request (params,
 * headers, query, body) or refuse it with `custom_error`; the stage runs (unless `skip_next`); `post`
 * can change the response data, completeness and headers. A script failure is the stage's error, with
 * the status `custom_error` gave. The backend's own error is returned without running `post`.
 */
export function withLua(
  cfg: LuaSettings,
  next: Stage,
  params: readonly string[],
  where: string,
  scripts: LuaScripts,
): Stage {
  const sources = luaSources(cfg, where);
  const script = scripts(cfg.allow_open_libs === true, 'proxy');
  const pre = cfg.pre ?? '';
  const post = cfg.post ?? '';
  const skip = cfg.skip_next === true;
  // Without post the response is not sent to the Lua thread and back, nor the environment kept for it.
  const hasPost = post !== '';

  return async (original: ProxyRequest): Promise<ProxyResult> => {
    const id = script.request();
    // The script changes its own copy: other backends of the endpoint see the request unchanged.
    let state: ProxyState = {
      request: {
        method: original.method,
        query: original.query,
        params: [...original.params],
        headers: { ...original.headers },
        body: original.body,
      },
      names: params,
      response: null,
    };
    try {
      state = await script.exec(id, 'pre', hasPost, readSources(sources), pre, state);
    } catch (err) {
      return { response: null, error: err as Error };
    }
    const req: ProxyRequest = { ...original, ...state.request, body: asBuffer(state.request.body) };
    let result: ProxyResult = { response: { data: {}, complete: false }, error: null };
    if (!skip) {
      try {
        result = await next(req);
      } catch (err) {
        result = { response: null, error: err as Error };
      }
      if (result.error || !result.response) {
        if (hasPost) script.drop(id);
        return result;
      }
    }
    if (!hasPost) return result;
    state.response = result.response;
    try {
      state = await script.exec(id, 'post', false, '', post, state);
    } catch (err) {
      return { response: null, error: err as Error };
    }
    return { ...result, response: state.response };
  };
}

function readSources(sources: () => string): string {
  try {
    return sources();
  } catch (err) {
    throw new LuaScriptError('SWY_LUA_ERROR', (err as Error).message);
  }
}
