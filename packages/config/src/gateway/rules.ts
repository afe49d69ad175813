import { didYouMean } from '../diagnostics/near-miss.js';
import type { Reporter } from '../diagnostics/reporter.js';
import { GATEWAY_DEFAULTS } from './schema.js';

// The semantic rules of KrakenD's config parser (lura's config.Init) that a schema cannot express, plus
// the router's: a file KrakenD would refuse is refused here too, with the place and the reason. In `run`
// mode what lura repairs is repaired the same way (a path without its leading "/", a no-op endpoint's
// backend encoding, a zero timeout), with a warning where KrakenD's linter would complain.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `{param}` placeholders of an endpoint (whole path segments, as KrakenD's strict REST mode reads them). */
const ENDPOINT_PARAM = /\/\{([a-zA-Z\-_0-9]+)\}/g;
/** Every `{placeholder}` of a url_pattern (lura's simpleURLKeysPattern). */
const URL_PARAM = /\{([\w\-.:/]+)\}/g;
/** Placeholders filled from elsewhere: a previous backend's response (sequential proxy) or a JWT claim. */
const SEQUENTIAL_OR_JWT = /^(resp\d+_.+|JWT\.[\w\-.:/]+)$/;
/** Paths of the built-in routes; an endpoint cannot take them. */
const RESERVED = /^\/__(debug|echo|health)(\/.*)?$/;
/** A `*` followed by anything: lura refuses it (only a trailing catch-all is a route). */
const WILDCARD = /\*./;
const ZERO_DURATION = /^(0+(\.0*)?(ns|us|µs|μs|ms|s|m|h)?)+$/;

export interface RuleOptions {
  mode: 'run' | 'lint';
  /** Also refuse two endpoints on one method and path (the router's rule). */
  routes: boolean;
  /** Tells the caller that endpoint `index` cannot be served faithfully, and why. */
  unserve: (index: number, reason: string) => void;
}

export const endpointParams = (endpoint: string, simple: boolean): string[] =>
  [...endpoint.matchAll(simple ? URL_PARAM : ENDPOINT_PARAM)].map((m) => m[1] as string);
export const urlParams = (pattern: string): string[] =>
  [...pattern.matchAll(URL_PARAM)].map((m) => m[1] as string);

export function checkRules(config: unknown, report: Reporter, options: RuleOptions): void {
  if (!isObject(config)) return;
  const run = options.mode === 'run';
  // lura: a zero timeout is the default one (root) or the root's (endpoint).
  if (run && typeof config.timeout === 'string' && ZERO_DURATION.test(config.timeout)) delete config.timeout;
  const rootHosts = list(config.host);
  const rootOutput = str(config.output_encoding) ?? GATEWAY_DEFAULTS.output_encoding;
  const simpleParams = config.disable_rest === true;
  const routes = new Map<string, string>(); // "METHOD /path/{}" → pointer of the first endpoint

  list(config.endpoints).forEach((e, i) => {
    if (!isObject(e)) return;
    const at = `/endpoints/${i}`;
    let path = str(e.endpoint);
    const backends = list(e.backend);
    if (run && typeof e.timeout === 'string' && ZERO_DURATION.test(e.timeout)) delete e.timeout;

    if (path !== undefined) {
      if (!path.startsWith('/')) {
        const hint = `did you mean "/${path}"?`;
        if (!run) report.error(`${at}/endpoint`, 'an endpoint must start with "/"', { hint });
        else {
          report.warn(`${at}/endpoint`, `an endpoint should start with "/"; served as "/${path}"`);
          path = `/${path}`;
          e.endpoint = path;
        }
      }
      if (RESERVED.test(path)) {
        report.error(`${at}/endpoint`, `${JSON.stringify(path)} is reserved for a built-in route`);
      } else if (WILDCARD.test(path)) {
        report.error(`${at}/endpoint`, `${JSON.stringify(path)}: a "*" can only end a path`);
      }
      const params = endpointParams(path, simpleParams);
      const seen = new Set<string>();
      for (const p of params) {
        if (seen.has(p)) {
          // lura accepts it (the router keeps the first value); Switchyard does not serve it.
          const message = `the parameter {${p}} appears twice`;
          if (!run) report.error(`${at}/endpoint`, message);
          else {
            report.warn(`${at}/endpoint`, message);
            options.unserve(i, message);
          }
        }
        seen.add(p);
      }
      const method = str(e.method) ?? GATEWAY_DEFAULTS.method;
      // Routes that differ only in parameter names are the same route to the router.
      const route = `${method} ${path.replace(URL_PARAM, '{}')}`;
      const first = routes.get(route);
      if (first !== undefined) {
        // Refused where the routes are built (run, check -t); plain `check` only parses, as KrakenD's does.
        report.add(
          options.routes ? 'error' : 'warning',
          `${at}/endpoint`,
          `${method} ${path} is defined twice`,
          {
            hint: `first defined at ${first} (${report.lineOf(`${first}/endpoint`)})${options.routes ? '' : '; run refuses the file'}`,
          },
        );
      } else routes.set(route, at);

      backends.forEach((b, j) => {
        if (!isObject(b)) return;
        let pattern = str(b.url_pattern);
        if (pattern === undefined) return;
        if (run && !pattern.startsWith('/')) {
          pattern = `/${pattern}`;
          b.url_pattern = pattern; // lura cleans it so; --lint warns
        }
        for (const p of new Set(urlParams(pattern))) {
          if (SEQUENTIAL_OR_JWT.test(p) || seen.has(p)) continue;
          const hint = didYouMean(p, seen);
          report.error(
            `${at}/backend/${j}/url_pattern`,
            `{${p}} is not a parameter of the endpoint ${JSON.stringify(path)}`,
            {
              hint: hint
                ? hint.replace(/"([^"]+)"/, '"{$1}"')
                : 'only {params} of the endpoint path, {respN_field} and {JWT.claim} can be used',
            },
          );
        }
      });
    }

    const validator = isObject(e.extra_config) ? e.extra_config['auth/validator'] : undefined;
    if (isObject(validator) && !validator.jwk_url && !validator.jwk_local_path) {
      report.warn(
        `${at}/extra_config/auth~1validator`,
        'no jwk_url nor jwk_local_path: every token is refused (401)',
        {
          at: 'key',
        },
      );
    }
    if (Array.isArray(e.backend) && backends.length === 0) {
      report.error(`${at}/backend`, 'an endpoint needs at least one backend');
    }
    const output = str(e.output_encoding) ?? rootOutput;
    if (output === 'no-op' && backends.length > 1) {
      report.error(
        e.output_encoding !== undefined ? `${at}/output_encoding` : at,
        `the no-op output encoding needs exactly one backend (this endpoint has ${backends.length})`,
      );
    }
    backends.forEach((b, j) => {
      if (!isObject(b)) return;
      // lura: a no-op endpoint passes its backend's answer through, whatever that backend's encoding.
      if (run && output === 'no-op' && backends.length === 1) b.encoding = 'no-op';
      if (list(b.host).length === 0 && rootHosts.length === 0) {
        const hint = 'set "host" on the backend or at the root of the file';
        if (!run) report.error(`${at}/backend/${j}`, 'no host for this backend', { hint });
        else {
          report.warn(`${at}/backend/${j}`, 'no host for this backend; the endpoint answers 500', { hint });
          options.unserve(i, `backend ${j} has no host`);
        }
      }
    });
  });
}
