import { isSwitchyardError } from '@switchyard/shared';
import type { Dispatcher } from 'undici';
import { failed, type ProxyRequest, type ProxyResult } from '../pipeline/types.js';
import { BackendClient, type BackendClientOptions, type Target } from './client.js';
import { type GraphqlCall, graphqlBody, graphqlQuery } from './graphql.js';
import type { Pools } from './pools.js';

const JSON_TYPE = ['content-type', 'application/json'];

/**
 * A backend called with `backend/graphql`: the GraphQL request goes in the query string (GET) or as the
 * JSON body (POST), always with `Content-Type: application/json`, as lura's GraphQL middleware sends it.
 * Its own class, so a plain HTTP backend pays nothing for it.
 */
export class GraphqlClient extends BackendClient {
  constructor(
    o: BackendClientOptions,
    pools: Pools,
    private readonly graphql: GraphqlCall,
  ) {
    super(o, pools);
  }

  /** A mutation whose body is not a JSON object is answered as lura does: an error, no backend call. */
  override async call(req: ProxyRequest): Promise<ProxyResult> {
    try {
      return await super.call(req);
    } catch (err) {
      if (isSwitchyardError(err, 'SWY_BACKEND_REQUEST_INVALID')) return failed(err);
      throw err;
    }
  }

  override target(req: ProxyRequest): Target {
    const t = super.target(req);
    if (this.graphql.method !== 'GET') return t;
    const query = graphqlQuery(this.graphql.build(req));
    const sep = t.path.includes('?') ? '&' : '?';
    return { pool: t.pool, path: t.path + sep + query, url: t.url + sep + query };
  }

  override dispatchOptions(req: ProxyRequest, path: string): Dispatcher.DispatchOptions {
    const options = super.dispatchOptions(req, path);
    const flat = options.headers as string[];
    const headers: string[] = [];
    for (let i = 0; i < flat.length; i += 2)
      if (flat[i] !== 'content-type') headers.push(flat[i] as string, flat[i + 1] as string);
    headers.push(...JSON_TYPE);
    const body = this.graphql.method === 'GET' ? null : graphqlBody(this.graphql.build(req));
    return { ...options, headers, body };
  }
}
