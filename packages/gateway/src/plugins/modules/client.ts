import type { IncomingHttpHeaders } from 'node:http';
import type { HttpClientPluginNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { backendError } from '../../errors/status.js';
import type { ProxyRequest } from '../../pipeline/types.js';
import type { ClientExecutor } from './api.js';
import { bounded, pluginFailure } from './failure.js';
import type { PluginRegistry } from './registry.js';
import { missingPlugin } from './unknown.js';

export const CLIENT = 'plugin/http-client';

/** What a client plugin answered, read as a backend's answer. */
export interface PluginAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  url: string;
}

/** A backend's client plugin: its name (for errors) and the executor it created. */
export interface ClientPlugin {
  name: string;
  run: ClientExecutor;
}

/** The executor of a backend's `plugin/http-client`; a name no module registered throws. */
export function compileClientPlugin(
  cfg: HttpClientPluginNamespace,
  where: string,
  registry: PluginRegistry,
): ClientPlugin {
  const plugin = registry.client.get(cfg.name);
  if (!plugin) throw missingPlugin(CLIENT, cfg.name, where, registry);
  const namespace = cfg as Record<string, unknown>;
  let executor: unknown;
  try {
    executor = plugin.create({ config: namespace[cfg.name], namespace, where });
  } catch (err) {
    throw new SwitchyardError(
      'SWY_PLUGIN_FAILED',
      `${where}: ${CLIENT} ${JSON.stringify(cfg.name)} could not be created: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (typeof executor !== 'function')
    throw new SwitchyardError(
      'SWY_PLUGIN_FAILED',
      `${where}: ${CLIENT} ${JSON.stringify(cfg.name)} created no executor function`,
    );
  return { name: cfg.name, run: executor as ClientExecutor };
}

const NO_BODY = new Set(['GET', 'HEAD']);

/**
 * One backend call through a client plugin: the request the gateway would send (URL, method, the
 * forwarded headers, body) as a fetch Request whose signal the request's scope aborts; the answer is
 * read up to the backend's body limit. Errors: the plugin's (SWY_PLUGIN_FAILED), the scope's timeout.
 */
export async function callClientPlugin(
  { name, run }: ClientPlugin,
  where: string,
  req: ProxyRequest,
  call: { url: string; method: string; headers: string[]; maxBodyBytes: number },
): Promise<PluginAnswer> {
  const controller = new AbortController();
  req.scope.add({ abort: (err) => controller.abort(err) });
  const headers = new Headers();
  for (let i = 0; i + 1 < call.headers.length; i += 2)
    headers.append(call.headers[i] as string, call.headers[i + 1] as string);
  const request = new Request(call.url, {
    method: call.method,
    headers,
    signal: controller.signal,
    ...(req.body && !NO_BODY.has(call.method) && { body: req.body }),
  });
  let response: Response;
  try {
    response = await bounded(
      req.scope,
      Promise.resolve().then(() => run(request)),
    );
  } catch (err) {
    throw req.scope.reason ?? pluginFailure(err, name, where);
  }
  if (!(response instanceof Response))
    throw new SwitchyardError(
      'SWY_PLUGIN_FAILED',
      `${where}: ${CLIENT} ${JSON.stringify(name)} answered something that is not a Response`,
    );
  const body = await bounded(req.scope, readLimited(response, call.maxBodyBytes, call.url));
  const plain: IncomingHttpHeaders = {};
  for (const [k, v] of response.headers) plain[k] = v;
  return { status: response.status, headers: plain, body, url: call.url };
}

async function readLimited(response: Response, max: number, url: string): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (max > 0 && size > max) {
      await response.body.cancel().catch(() => {});
      throw backendError('SWY_BACKEND_BODY_TOO_LARGE', `backend answer over ${max} bytes`, { url });
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
