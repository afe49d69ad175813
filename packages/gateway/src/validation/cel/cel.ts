import type { CelNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { failed, type ProxyRequest, type Stage } from '../../pipeline/types.js';
import type { EndpointGuard } from '../../plugins/ratelimit-router.js';
import { type CelVerdict, celEnvironment } from './environment.js';
import type { CelRunner } from './runner.js';

export const CEL = 'validation/cel';

/** krakend-cel's expressions, sorted as it sorts them: by the variables they mention. */
export interface CelChecks {
  /** Mention `req`: run before the backends are called. */
  pre: string[];
  /** Mention `resp`: run on the data the backends returned. */
  post: string[];
  /** Mention `JWT`: run on the claims `auth/validator` accepted (401 when one is not true). */
  jwt: string[];
}

const env = celEnvironment();

/**
 * Parses and type-checks every `check_expr` once, when routes are built. krakend-cel sorts them by the
 * text they contain (`req`, `resp`, `JWT`: one expression can be in several lists), drops an expression
 * that does not type-check and serves the whole endpoint unchecked when one does not parse; here either
 * leaves the endpoint unserved (500), so no check is silently skipped.
 */
export function compileCel(defs: CelNamespace, where: string): CelChecks {
  const checks: CelChecks = { pre: [], post: [], jwt: [] };
  defs.forEach((def, i) => {
    const source = def.check_expr ?? '';
    if (source === '') return;
    let check: { valid: boolean; error?: Error };
    try {
      check = env.parse(source).check();
    } catch (err) {
      check = { valid: false, error: err as Error };
    }
    if (!check.valid)
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where} ${CEL}[${i}].check_expr: ${check.error?.message.split('\n')[0] ?? 'does not type-check'}`,
      );
    if (source.includes('req')) checks.pre.push(source);
    if (source.includes('resp')) checks.post.push(source);
    if (source.includes('JWT')) checks.jwt.push(source);
  });
  return checks;
}

/** `now` as krakend-cel formats it (Go's `2006-01-02T15:04:05.999Z07:00`, in UTC). */
export function celNow(date = new Date()): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_m, ms: string) => (ms ? `.${ms}Z` : 'Z'));
}

/** Header names as Go's net/http writes them (`x-user-id` → `X-User-Id`). */
const canonical = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());

/**
 * The request a backend-level check sees, as lura's request builder makes it before the backend proxy:
 * the backend's method and its url_pattern filled.
 */
export interface BackendRequest {
  method: string;
  path(req: ProxyRequest): string;
}

function requestVariables(
  req: ProxyRequest,
  names: readonly string[],
  now: string,
  at: BackendRequest | undefined,
): Record<string, unknown> {
  const params: Record<string, string> = {};
  names.forEach((n, i) => {
    params[n.charAt(0).toUpperCase() + n.slice(1)] = req.params[i] ?? '';
  });
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[canonical(k)] = Array.isArray(v) ? v : [v];
  const query: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(req.query)) {
    const values = query[k];
    if (values) values.push(v);
    else query[k] = [v];
  }
  return {
    req_method: at ? at.method : req.method,
    req_path: at ? at.path(req) : req.path,
    req_params: params,
    req_headers: headers,
    req_querystring: query,
    now,
  };
}

/** What a false (or failing) expression turns into: lura answers 500, the text names the evaluator. */
function refusal(v: CelVerdict): Error {
  if (v.stopped)
    return new SwitchyardError('SWY_CEL_STOPPED', `request aborted: ${v.reason ?? 'evaluation stopped'}`);
  return new SwitchyardError('SWY_CEL_REJECTED', `request aborted by evaluator #${v.failed}`, {
    details: { reason: v.reason },
  });
}

/**
 * `validation/cel` around an endpoint's pipeline or one backend, as krakend-cel's proxy: the `req`
 * expressions before calling `next`, the `resp` ones on its data (not when it failed); the first that is
 * not true aborts with an error, which the endpoint answers 500 (`request aborted by evaluator #N` with
 * `return_error_msg`), or, on one backend of several, leaves the answer incomplete. `at` is the backend's
 * request, for a check on one backend.
 */
export function withCel(
  checks: CelChecks,
  runner: CelRunner,
  names: readonly string[],
  next: Stage,
  at?: BackendRequest,
): Stage {
  const { pre, post } = checks;
  if (pre.length === 0 && post.length === 0) return next;
  return async (req) => {
    const now = celNow();
    if (pre.length > 0) {
      const v = await runner.run(pre, requestVariables(req, names, now, at), req.scope);
      if (v.failed !== -1) return failed(refusal(v));
    }
    const result = await next(req);
    if (post.length === 0 || result.error || !result.response) return result;
    const v = await runner.run(
      post,
      {
        resp_completed: result.response.complete,
        // lura's response metadata is not kept past the backend: a response here is a 200's data.
        resp_metadata_status: 200n,
        resp_metadata_headers: {},
        resp_data: result.response.data,
        now,
      },
      req.scope,
    );
    return v.failed === -1 ? result : failed(refusal(v));
  };
}

/** The `JWT` expressions, run after `auth/validator` accepted a token: 401 unless all are true. */
export function celJwtGuard(checks: CelChecks, runner: CelRunner): EndpointGuard | null {
  if (checks.jwt.length === 0) return null;
  return (x) => {
    // Without a validated token KrakenD has no claims to reject: the expressions do not run.
    if (!x.claims) return true;
    return runner.run(checks.jwt, { JWT: x.claims, now: celNow() }).then((v) => {
      if (v.failed === -1) return true;
      x.log().info({ reason: refusal(v).message }, 'token rejected by validation/cel');
      x.send(401, {}, null, false);
      return false;
    });
  };
}
