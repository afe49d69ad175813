import type { IncomingHttpHeaders } from 'node:http';
import type { ModifierPluginNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { failed, type ProxyRequest, type ProxyResult, type Stage } from '../../pipeline/types.js';
import type { ModifierRequest, ModifierResponse, RequestModifier, ResponseModifier } from './api.js';
import { bounded, isThenable, pluginFailure } from './failure.js';
import type { PluginRegistry } from './registry.js';
import { missingPlugin } from './unknown.js';

export const MODIFIER = 'plugin/req-resp-modifier';

interface Named<F> {
  name: string;
  run: F;
}

/** lura's parameter keys: the first letter upper case (`{id}` is `Id`). */
const paramKey = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * `plugin/req-resp-modifier` around a stage (an endpoint's pipeline or one backend): the request
 * modifiers in the order named, then the stage, then (when it succeeded) the response modifiers, as
 * lura's plugin middleware runs them. A name no module registered throws (the endpoint is not served).
 */
export function withModifiers(
  cfg: ModifierPluginNamespace,
  where: string,
  params: readonly string[],
  registry: PluginRegistry,
  stage: Stage,
): Stage {
  const reqs: Named<RequestModifier>[] = [];
  const resps: Named<ResponseModifier>[] = [];
  const namespace = cfg as Record<string, unknown>;
  for (const name of cfg.name) {
    const ctx = { config: namespace[name], namespace, where };
    const req = registry.request.get(name);
    const resp = req ? undefined : registry.response.get(name);
    if (!req && !resp) throw missingPlugin(MODIFIER, name, where, registry);
    let run: RequestModifier | ResponseModifier | null;
    try {
      run = req ? req.create(ctx) : (resp?.create(ctx) ?? null);
    } catch (err) {
      throw new SwitchyardError(
        'SWY_PLUGIN_FAILED',
        `${where}: ${MODIFIER} ${JSON.stringify(name)} could not be created: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // A modifier whose factory returns nothing is left out, as lura leaves out a nil one.
    if (typeof run !== 'function') continue;
    if (req) reqs.push({ name, run: run as RequestModifier });
    else resps.push({ name, run: run as ResponseModifier });
  }
  if (reqs.length === 0 && resps.length === 0) return stage;

  return async (req: ProxyRequest): Promise<ProxyResult> => {
    let wrapped = requestWrapper(req, params);
    for (const m of reqs) {
      try {
        const out = m.run(wrapped);
        const next = isThenable(out) ? await bounded(req.scope, out) : out;
        if (next !== undefined) wrapped = checkedRequest(next, m.name, where);
      } catch (err) {
        return failed(pluginFailure(err, m.name, where));
      }
    }
    const sent = reqs.length > 0 ? applyRequest(req, wrapped, params) : req;
    const result = await stage(sent);
    // lura runs the response modifiers only on a response without error.
    if (resps.length === 0 || result.error || !result.response) return result;
    let res: ModifierResponse = {
      data: result.response.data,
      isComplete: result.response.complete,
      request: wrapped,
    };
    for (const m of resps) {
      try {
        const out = m.run(res);
        const next = isThenable(out) ? await bounded(req.scope, out) : out;
        if (next !== undefined) res = checkedResponse(next, m.name, where);
      } catch (err) {
        return failed(pluginFailure(err, m.name, where));
      }
    }
    return { response: { data: res.data, complete: res.isComplete }, error: null };
  };
}

function requestWrapper(req: ProxyRequest, params: readonly string[]): ModifierRequest {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  const named: Record<string, string> = {};
  params.forEach((p, i) => {
    named[paramKey(p)] = req.params[i] ?? '';
  });
  return {
    method: req.method,
    params: named,
    headers,
    query: new URLSearchParams(req.query),
    body: req.body,
  };
}

function applyRequest(req: ProxyRequest, w: ModifierRequest, params: readonly string[]): ProxyRequest {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of w.headers) headers[name] = value;
  const cookies = w.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  return {
    ...req,
    params: params.map((p, i) => w.params[paramKey(p)] ?? req.params[i] ?? ''),
    headers,
    query: w.query.toString(),
    body: w.body,
  };
}

const invalid = (name: string, where: string, what: string) =>
  new SwitchyardError('SWY_PLUGIN_FAILED', `plugin ${JSON.stringify(name)} returned ${what}`, {
    details: { plugin: name, where },
  });

function checkedRequest(v: unknown, name: string, where: string): ModifierRequest {
  const r = v as Partial<ModifierRequest> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    !(r.headers instanceof Headers) ||
    !(r.query instanceof URLSearchParams) ||
    typeof r.params !== 'object' ||
    r.params === null ||
    !(r.body === null || Buffer.isBuffer(r.body))
  )
    throw invalid(name, where, 'something that is not a request (headers, query, params, body)');
  return r as ModifierRequest;
}

function checkedResponse(v: unknown, name: string, where: string): ModifierResponse {
  const r = v as Partial<ModifierResponse> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.data !== 'object' ||
    r.data === null ||
    Array.isArray(r.data) ||
    typeof r.isComplete !== 'boolean'
  )
    throw invalid(name, where, 'something that is not a response (data object, isComplete)');
  return r as ModifierResponse;
}
