import type { HttpSecureNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { RE2JS } from 're2js';
import { htmlEscape } from '../encode/html-escape.js';
import type { Exchange } from '../request/exchange.js';

export const HTTP_SECURE = 'security/http';

const BAD_HOST = 'Bad Host\n';

/** The response headers unrolled/secure adds, in its order; `sts` only on TLS (or forced). */
function headersOf(cfg: HttpSecureNamespace): { always: [string, string][]; sts: string | null } {
  const always: [string, string][] = [];
  const frame = cfg.custom_frame_options_value || (cfg.frame_deny ? 'DENY' : '');
  if (frame) always.push(['X-Frame-Options', frame]);
  if (cfg.content_type_nosniff) always.push(['X-Content-Type-Options', 'nosniff']);
  if (cfg.browser_xss_filter) always.push(['X-XSS-Protection', '1; mode=block']);
  if (cfg.content_security_policy) always.push(['Content-Security-Policy', cfg.content_security_policy]);
  if (cfg.referrer_policy) always.push(['Referrer-Policy', cfg.referrer_policy]);
  const seconds = Math.trunc(cfg.sts_seconds ?? 0);
  const sts =
    seconds !== 0 && !cfg.is_development
      ? `max-age=${seconds}${cfg.sts_include_subdomains ? '; includeSubDomains' : ''}`
      : null;
  return { always, sts };
}

/**
 * `security/http` (root level), as krakend-httpsecure runs unrolled/secure in front of every route:
 * `allowed_hosts` (the host read from the first `host_proxy_headers` header present, else Host; exact
 * and case-insensitive, or Go regular expressions with `allowed_hosts_are_regex`) answers any other host
 * 500 `Bad Host`; `ssl_redirect` sends a plain-HTTP request 301 to https (on `ssl_host` when set), a
 * request counting as TLS when a `ssl_proxy_headers` header has its value; then the security headers are
 * set on whatever answers (HSTS only on TLS or with `force_sts_header`). `is_development` turns off the
 * host check, the redirect and HSTS. Returns whether it answered.
 */
export function compileHttpSecure(cfg: HttpSecureNamespace, where: string): (x: Exchange) => boolean {
  const dev = cfg.is_development === true;
  const proxyHeaders = (cfg.host_proxy_headers ?? []).map((h) => h.toLowerCase());
  const sslHeaders = Object.entries(cfg.ssl_proxy_headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]);
  const hosts = cfg.allowed_hosts ?? [];
  let goodHost: ((host: string) => boolean) | null = null;
  if (hosts.length > 0 && !dev) {
    if (cfg.allowed_hosts_are_regex) {
      const res = hosts.map((h, i) => {
        try {
          // unrolled/secure anchors each pattern: `example\.com` must not match `evil-example.com.net`.
          return RE2JS.compile(`^${h}$`);
        } catch (err) {
          throw new SwitchyardError(
            'SWY_CONFIG_INVALID',
            `${where} ${HTTP_SECURE}: allowed_hosts[${i}] is not a regular expression: ${(err as Error).message}`,
            { cause: err },
          );
        }
      });
      goodHost = (host) => res.some((r) => r.test(host));
    } else {
      const lower = new Set(hosts.map((h) => h.toLowerCase()));
      goodHost = (host) => lower.has(host.toLowerCase());
    }
  }
  const redirect = cfg.ssl_redirect === true && !dev;
  const { always, sts } = headersOf(cfg);
  const forceSts = cfg.force_sts_header === true;

  const hostOf = (x: Exchange): string => {
    const h = x.req.headers;
    for (const name of proxyHeaders) {
      const v = h[name];
      const first = Array.isArray(v) ? v[0] : v;
      if (first) return first;
    }
    return h.host ?? '';
  };
  const isTls = (x: Exchange): boolean =>
    (x.req.socket as { encrypted?: boolean }).encrypted === true ||
    sslHeaders.some(([k, v]) => {
      const got = x.req.headers[k as string];
      return (Array.isArray(got) ? got[0] : got) === v;
    });

  return (x) => {
    const host = hostOf(x);
    if (goodHost && !goodHost(host)) {
      x.begin('');
      x.log().debug({ host }, 'bad host name');
      x.send(
        500,
        { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
        BAD_HOST,
        false,
      );
      return true;
    }
    const tls = isTls(x);
    if (redirect && !tls) {
      const location = `https://${cfg.ssl_host || host}${x.req.url ?? '/'}`;
      const method = x.req.method ?? 'GET';
      const headers: Record<string, string> = { Location: location };
      if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
      x.begin('');
      x.send(
        301,
        headers,
        method === 'GET' ? `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n` : null,
        false,
      );
      return true;
    }
    for (const [k, v] of always) x.res.setHeader(k, v);
    if (sts && (tls || forceSts)) x.res.setHeader('Strict-Transport-Security', sts);
    return false;
  };
}
