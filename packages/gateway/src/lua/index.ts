import type { OutgoingHttpHeaders } from 'node:http';
import { hasKeys } from '../backend/decode.js';
import type { Render } from '../encode/render.js';
import type { Stage } from '../pipeline/types.js';
import { type LUA_BACKEND, type LUA_PROXY, type LuaScripts, withLua } from './proxy.js';
import type { LuaSettings } from './sources.js';

export { LUA_ENDPOINT, luaEndpoint } from './endpoint.js';
export { LUA_BACKEND, LUA_PROXY, type LuaScripts } from './proxy.js';
export { LuaRunner } from './runner.js';

/** The stage with the `modifier/lua-proxy` or `modifier/lua-backend` of `extra`, or the stage itself. */
export function luaStage(
  extra: Record<string, unknown> | undefined,
  ns: typeof LUA_PROXY | typeof LUA_BACKEND,
  stage: Stage,
  params: readonly string[],
  where: string,
  scripts: LuaScripts,
): Stage {
  const cfg = extra?.[ns] as LuaSettings | undefined;
  return cfg ? withLua(cfg, stage, params, `${where} ${ns}`, scripts) : stage;
}

/**
 * A render that also writes the headers scripts set on the response, as lura's endpoint handler adds
 * the response's Metadata.Headers (only to an answer with data). Used only where a script can set them.
 */
export function withScriptHeaders(render: Render): Render {
  return (x, response, headers: OutgoingHttpHeaders) => {
    if (response?.headers && hasKeys(response.data))
      for (const [k, v] of Object.entries(response.headers)) {
        if (!TOKEN.test(k) || FRAMING.has(k.toLowerCase())) continue;
        const values = v.map(goValue);
        if (values.every((value) => value !== null)) headers[k] = values as string[];
      }
    render(x, response, headers);
  };
}

/** The gateway frames the body: a script's value for these would contradict it (or smuggle a response). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A value as Go's net/http writes it: CR and LF as spaces, trimmed. Null for another control character or
 * a non-ASCII one: Node cannot write the first, and writes the second as Latin-1 or UTF-8 depending on
 * the body, so neither is sent.
 */
function goValue(value: string): string | null {
  const v = value.replace(/[\r\n]/g, ' ').trim();
  return /[^\t\x20-\x7e]/.test(v) ? null : v;
}
