import type { IncomingMessage, ServerResponse } from 'node:http';

// The plugin API: what a module in `plugin.folder` exports. It follows KrakenD's three plugin kinds
// (server handlers, client executors, request/response modifiers) with Node and fetch types instead of Go's.

/** What a plugin is handed when the gateway builds the routes that use it. */
export interface PluginContext {
  /** The plugin's own settings: the namespace's key named as the plugin (undefined when absent). */
  config: unknown;
  /** The whole namespace object (`name` and every plugin's settings), as KrakenD hands it to Go plugins. */
  namespace: Readonly<Record<string, unknown>>;
  /** Where the plugin is used, e.g. `endpoints[0] (GET /users)`, for its messages. */
  where: string;
}

/** A Node request handler: the gateway's, or one a server plugin returns around it. */
export type ServerHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** `plugin/http-server`: wraps the gateway's handler (every request, before routing). */
export interface HttpServerPlugin {
  type: 'http-server';
  name: string;
  /** Called when routes are built (start, reload); throws to be skipped, as KrakenD skips a failing one. */
  create(ctx: PluginContext, next: ServerHandler): ServerHandler;
}

/** The backend call a client plugin makes instead of the gateway's HTTP client. */
export type ClientExecutor = (request: Request) => Promise<Response>;

/** `plugin/http-client`: replaces one backend's HTTP call; its Response is decoded as the backend's. */
export interface HttpClientPlugin {
  type: 'http-client';
  name: string;
  create(ctx: PluginContext): ClientExecutor;
}

/** The request as modifiers see it (lura's RequestWrapper): edit it in place or return a new one. */
export interface ModifierRequest {
  readonly method: string;
  /** The endpoint's `{param}` values, keyed as KrakenD keys them (first letter upper case: `Id`). */
  params: Record<string, string>;
  headers: Headers;
  query: URLSearchParams;
  body: Buffer | null;
}

/** The response as modifiers see it (lura's ResponseWrapper, without headers and status). */
export interface ModifierResponse {
  data: Record<string, unknown>;
  isComplete: boolean;
  /** The request that produced it, after the request modifiers. */
  readonly request: ModifierRequest;
}

type Maybe<T> = T | undefined | Promise<T | undefined>;
export type RequestModifier = (req: ModifierRequest) => Maybe<ModifierRequest>;
export type ResponseModifier = (res: ModifierResponse) => Maybe<ModifierResponse>;

/** `plugin/req-resp-modifier`, request side: runs before the backends (of the endpoint or one backend). */
export interface RequestModifierPlugin {
  type: 'request-modifier';
  name: string;
  /** Null: nothing to do with these settings (the plugin is left out, as lura leaves out a nil one). */
  create(ctx: PluginContext): RequestModifier | null;
}

/** `plugin/req-resp-modifier`, response side: runs on the data the backends produced. */
export interface ResponseModifierPlugin {
  type: 'response-modifier';
  name: string;
  create(ctx: PluginContext): ResponseModifier | null;
}

export type SwitchyardPlugin =
  | HttpServerPlugin
  | HttpClientPlugin
  | RequestModifierPlugin
  | ResponseModifierPlugin;

export type PluginType = SwitchyardPlugin['type'];
export const PLUGIN_TYPES: readonly PluginType[] = [
  'http-server',
  'http-client',
  'request-modifier',
  'response-modifier',
];

/**
 * An error a modifier throws to choose the answer, as KrakenD's HTTPResponseError: its status always;
 * its message as the body and `contentType` as Content-Type when `router.return_error_msg` is on.
 */
export class PluginResponseError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly contentType = '',
  ) {
    super(message);
    this.name = 'PluginResponseError';
  }
}

/** Types a plugin in a module (`export default definePlugin({...})`); the loader checks its shape. */
export function definePlugin<const P extends SwitchyardPlugin>(plugin: P): P {
  return plugin;
}
