import type { CorsNamespace } from '@switchyard/config';
import { parseDuration } from '@switchyard/shared';
import type { Exchange } from '../request/exchange.js';

export const CORS = 'security/cors';

/** Handles CORS for one request before routing; true when it answered the request (a preflight). */
export type CorsHandler = (x: Exchange) => boolean;

// rs/cors's defaults, which KrakenD uses when the lists are empty.
const DEFAULT_METHODS = ['GET', 'POST', 'HEAD'];
const DEFAULT_HEADERS = ['origin', 'accept', 'content-type', 'x-requested-with'];
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/**
 * `security/cors` as KrakenD runs it (rs/cors, in front of the router): a preflight (OPTIONS with Origin
 * and Access-Control-Request-Method) is answered at once, with the Access-Control-* headers only when
 * origin, method and headers are all allowed; other requests from an allowed origin get
 * Access-Control-Allow-Origin (and Expose-Headers, Allow-Credentials) on whatever answers them.
 */
export function compileCors(cfg: CorsNamespace): CorsHandler {
  const origins = (cfg.allow_origins ?? []).map((o) => o.toLowerCase());
  const anyOrigin = origins.length === 0 || origins.includes('*');
  const exact = new Set(origins.filter((o) => !o.includes('*')));
  const wildcards = origins
    .filter((o) => o !== '*' && o.includes('*'))
    .map((o) => {
      const star = o.indexOf('*');
      return { prefix: o.slice(0, star), suffix: o.slice(star + 1) };
    });
  const methods = new Set((cfg.allow_methods?.length ? cfg.allow_methods : DEFAULT_METHODS).map(up));
  const headerList = cfg.allow_headers?.length ? cfg.allow_headers.map(low) : DEFAULT_HEADERS;
  const anyHeader = headerList.includes('*');
  const headers = new Set([...headerList, 'origin']);
  const expose = cfg.expose_headers?.length ? cfg.expose_headers.join(', ') : null;
  const maxAgeS = cfg.max_age ? Math.floor(parseDuration(cfg.max_age) / 1000) : 0;
  const status = cfg.options_success_status ?? 204;

  const allowedOrigin = (origin: string): boolean => {
    if (anyOrigin) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    return wildcards.some(
      (w) => o.length >= w.prefix.length + w.suffix.length && o.startsWith(w.prefix) && o.endsWith(w.suffix),
    );
  };
  const allowOriginValue = (origin: string) => (anyOrigin ? '*' : origin);

  const preflight = (x: Exchange, origin: string | undefined, method: string): boolean => {
    const res = x.res;
    res.setHeader('Vary', PREFLIGHT_VARY);
    const requested = x.req.headers['access-control-request-headers'];
    const asked = typeof requested === 'string' && requested.trim() !== '' ? requested : '';
    const ok =
      origin !== undefined &&
      allowedOrigin(origin) &&
      methods.has(up(method)) &&
      (anyHeader || asked.split(',').every((h) => h.trim() === '' || headers.has(low(h.trim()))));
    if (ok && origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', allowOriginValue(origin));
      res.setHeader('Access-Control-Allow-Methods', up(method));
      if (asked) res.setHeader('Access-Control-Allow-Headers', asked);
      if (cfg.allow_credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
      if (cfg.allow_private_network && x.req.headers['access-control-request-private-network'] === 'true')
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      if (maxAgeS > 0) res.setHeader('Access-Control-Max-Age', String(maxAgeS));
    }
    if (cfg.options_passthrough) return false;
    x.begin('');
    x.send(status, {}, null, false);
    return true;
  };

  return (x) => {
    const origin = x.req.headers.origin;
    const requestMethod = x.req.headers['access-control-request-method'];
    if (x.req.method === 'OPTIONS' && typeof requestMethod === 'string' && requestMethod !== '')
      return preflight(x, origin, requestMethod);
    x.res.setHeader('Vary', 'Origin');
    if (origin === undefined || !allowedOrigin(origin) || !methods.has(x.req.method ?? 'GET')) return false;
    x.res.setHeader('Access-Control-Allow-Origin', allowOriginValue(origin));
    if (expose) x.res.setHeader('Access-Control-Expose-Headers', expose);
    if (cfg.allow_credentials) x.res.setHeader('Access-Control-Allow-Credentials', 'true');
    return false;
  };
}

const up = (s: string) => s.toUpperCase();
const low = (s: string) => s.toLowerCase();
