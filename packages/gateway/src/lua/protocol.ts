import type { ProxyResponse } from '../pipeline/types.js';
import type { ScriptedRequest } from './proxy-bridge.js';
import type { RouterView } from './router-bridge.js';
import type { LuaLevel } from './vm.js';

/** What a proxy-level phase reads and changes: the request, and after the call the response. */
export interface ProxyState {
  request: ScriptedRequest;
  /** `{param}` names of the endpoint, in order. */
  names: readonly string[];
  response: ProxyResponse | null;
}

/** What a router-level phase reads and changes: the client's request. */
export interface RouterState {
  method: string;
  names: readonly string[];
  view: RouterView;
}

/** One phase of one request's script, sent to the Lua thread. */
export interface LuaJob {
  id: number;
  /** The configured namespace (one Lua VM each) and how its VM is made. */
  script: number;
  open: boolean;
  level: LuaLevel;
  /** The client request, within its script. */
  request: number;
  phase: 'pre' | 'post' | 'drop';
  /** After pre: whether a post follows (its environment is then kept). */
  keep: boolean;
  sources: string;
  code: string;
  state: ProxyState | RouterState | null;
}

export interface LuaFailure {
  code: 'SWY_LUA_ERROR' | 'SWY_LUA_BUDGET';
  message: string;
  status: number | null;
  contentType: string;
}

/** The Lua thread's answer to a job: the state as the script left it, or why it failed. */
export type LuaOutcome =
  | { id: number; state: ProxyState | RouterState | null; failure?: undefined }
  | { id: number; failure: LuaFailure };

/** Scripts no longer configured (a reload replaced them): their VMs are closed. */
export interface LuaForget {
  forget: number[];
}

/** A Buffer cloned to another thread arrives as a Uint8Array: it becomes a Buffer again (no copy). */
export function asBuffer(body: Uint8Array | null): Buffer | null {
  return body === null || Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
