import { didYouMean } from '../diagnostics/near-miss.js';
import type { Reporter } from '../diagnostics/reporter.js';
import { GATEWAY_DEFAULTS } from './schema.js';

// The semantic rules of KrakenD's config parser (lura's config.Init) that a schema cannot express, plus
// the router's: a file KrakenD would refuse is refused here too, with the place and the reason.

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

export const endpointParams = (endpoint: string, simple: boolean): string[] =>
  [...endpoint.matchAll(simple ? URL_PARAM : ENDPOINT_PARAM)].map((m) => m[1] as string);
export const urlParams = (pattern: string): string[] =>
  [...pattern.matchAll(URL_PARAM)].map((m) => m[1] as string);

export function checkRules(config: unknown, report: Reporter): void {
  if (!isObject(config)) return;
  const rootHosts = list(config.host);
  const rootOutput = str(config.output_encoding) ?? GATEWAY_DEFAULTS.output_encoding;
  const simpleParams = config.disable_rest === true;
  const routes = new Map<string, string>(); // "METHOD /path/{}" → pointer of the first endpoint

  list(config.endpoints).forEach((e, i) => {
    if (!isObject(e)) return;
    const at = `/endpoints/${i}`;
    const path = str(e.endpoint);
    const backends = list(e.backend);

    if (path !== undefined) {
      if (!path.startsWith('/')) {
        report.error(`${at}/endpoint`, 'an endpoint must start with "/"', {
          hint: `did you mean "/${path}"?`,
        });
      } else if (RESERVED.test(path)) {
        report.error(`${at}/endpoint`, `${JSON.stringify(path)} is reserved for a built-in route`);
      }
      const params = endpointParams(path, simpleParams);
      const seen = new Set<string>();
      for (const p of params) {
        if (seen.has(p)) report.error(`${at}/endpoint`, `the parameter {${p}} appears twice`);
        seen.add(p);
      }
      const method = str(e.method) ?? GATEWAY_DEFAULTS.method;
      // Routes that differ only in parameter names are the same route to the router.
      const route = `${method} ${path.replace(URL_PARAM, '{}')}`;
      const first = routes.get(route);
      if (first !== undefined) {
        report.error(`${at}/endpoint`, `${method} ${path} is defined twice`, {
          hint: `first defined at ${first} (${report.lineOf(`${first}/endpoint`)})`,
        });
      } else routes.set(route, at);

      backends.forEach((b, j) => {
        if (!isObject(b)) return;
        const pattern = str(b.url_pattern);
        if (pattern === undefined) return;
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
      if (list(b.host).length === 0 && rootHosts.length === 0 && b.host === undefined) {
        report.error(`${at}/backend/${j}`, 'no host for this backend', {
          hint: 'set "host" on the backend or at the root of the file',
        });
      }
    });
  });
}
