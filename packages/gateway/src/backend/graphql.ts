import { readFileSync } from 'node:fs';
import type { GraphqlNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { parse } from 'graphql';
import { goJson } from '../encode/go-json.js';
import { backendError } from '../errors/status.js';
import type { ProxyRequest } from '../pipeline/types.js';

export const GRAPHQL = 'backend/graphql';

/** The GraphQL request of one backend call: its body (POST) or query string (GET). */
export interface GraphqlCall {
  /** GET or POST (KrakenD sends any other configured method as POST). */
  method: 'GET' | 'POST';
  /** The request for this client request; throws SWY_BACKEND_REQUEST_INVALID for an unreadable mutation body. */
  build(req: ProxyRequest): { query: string; operationName: string; variables: Record<string, unknown> };
}

/**
 * `backend/graphql`, compiled at route build: the query (inline or read from `query_path`) is parsed with
 * the `graphql` package so a query that cannot be parsed leaves the endpoint unserved instead of failing
 * every call. A query's `{param}` variables take the request's params (lura's `{id}` naming); a mutation's
 * variables are the request body's JSON object over the configured ones, as lura builds them.
 */
export function compileGraphql(
  extra: Record<string, unknown> | undefined,
  names: readonly string[],
  where: string,
): GraphqlCall | null {
  const cfg = extra?.[GRAPHQL] as GraphqlNamespace | undefined;
  if (!cfg) return null;
  let query = cfg.query ?? '';
  if (cfg.query_path) {
    try {
      query = readFileSync(cfg.query_path, 'utf8');
    } catch (err) {
      throw invalid(where, `cannot read query_path ${cfg.query_path}: ${(err as Error).message}`);
    }
  }
  try {
    parse(query);
  } catch (err) {
    throw invalid(where, `the query cannot be parsed: ${(err as Error).message}`);
  }
  const method = cfg.method?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  const operationName = cfg.operationName ?? '';
  const configured = cfg.variables ?? {};
  if (cfg.type === 'mutation') {
    return {
      method,
      build: (req) => ({ query, operationName, variables: { ...configured, ...bodyVariables(req.body) } }),
    };
  }
  // `"id": "{id}"` takes the param lura names `Id` ('' when the endpoint has none, as a Go map answers).
  const index = new Map(names.map((n, i) => [n.charAt(0).toUpperCase() + n.slice(1), i]));
  const slots: [string, number | undefined][] = [];
  for (const [k, v] of Object.entries(configured)) {
    if (typeof v === 'string' && v.length > 1 && v.startsWith('{') && v.endsWith('}'))
      slots.push([k, index.get(v.charAt(1).toUpperCase() + v.slice(2, -1))]);
  }
  if (slots.length === 0) return { method, build: () => ({ query, operationName, variables: configured }) };
  return {
    method,
    build: (req) => {
      const variables = { ...configured };
      for (const [k, i] of slots) variables[k] = i === undefined ? '' : (req.params[i] ?? '');
      return { query, operationName, variables };
    },
  };
}

/** The request body as variables: a JSON object, or the error Go's decoder gives (the call is not made). */
function bodyVariables(body: Buffer | null): Record<string, unknown> {
  let parsed: unknown;
  try {
    // Go's json.Unmarshal of an empty body.
    if (!body || body.length === 0) throw new Error('unexpected end of JSON input');
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw backendError('SWY_BACKEND_REQUEST_INVALID', (err as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'array' : parsed === null ? 'null' : typeof parsed;
    throw backendError(
      'SWY_BACKEND_REQUEST_INVALID',
      `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** The JSON body lura writes: query, then operationName and variables when not empty (Go's omitempty). */
export function graphqlBody(r: ReturnType<GraphqlCall['build']>): Buffer {
  let json = `{"query":${goJson(r.query)}`;
  if (r.operationName) json += `,"operationName":${goJson(r.operationName)}`;
  if (Object.keys(r.variables).length > 0) json += `,"variables":${goJson(r.variables)}`;
  return Buffer.from(`${json}}`);
}

/** The query string lura adds for a GET call: Go's url.Values.Encode (sorted keys, QueryEscape). */
export function graphqlQuery(r: ReturnType<GraphqlCall['build']>): string {
  const pairs: string[] = [];
  if (r.operationName) pairs.push(`operationName=${goQueryEscape(r.operationName)}`);
  pairs.push(`query=${goQueryEscape(r.query)}`);
  if (Object.keys(r.variables).length > 0) pairs.push(`variables=${goQueryEscape(goJson(r.variables))}`);
  return pairs.join('&');
}

/** Go's url.QueryEscape: everything but letters, digits and `-_.~` escaped, spaces as `+`. */
const goQueryEscape = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');

const invalid = (where: string, message: string) =>
  new SwitchyardError('SWY_CONFIG_INVALID', `${where} ${GRAPHQL}: ${message}`);
