import type { HttpSecureNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { RE2JS } from 're2js';
import { htmlEscape } from '../encode/html-escape.js';
import type { Exchange } from '../request/exchange.js';

export const HTTP_SECURE = 'security/http';

const BAD_HOST = 'Bad Host\n';

/**
 * A configured header value as Go's net/http writes it: CR and LF become spaces and the value is trimmed.
 * Any other control character, and any non-ASCII one, is refused here, at compile time: Node's setHeader
 * would throw on it at the first request (or send its bytes as Latin-1 or UTF-8 depending on the body).
 */
function headerValue(value: string, where: string, field: string): string {
  const v = value.replace(/[\r\n]/g, ' ').trim();
  const bad = /[^\t\x20-\x7e]/.exec(v);
  if (bad) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where} ${HTTP_SECURE}: ${field} holds ${code} at ${bad.index}; a header value must be printable ASCII`,
    );
  }
  return v;
}

/** The response headers unrolled/secure adds, in its order; `sts` only on TLS (or forced). */
function headersOf(
  cfg: HttpSecureNamespace,
  where: string,
): { always: [string, string][]; sts: string | null } {
  const always: [string, string][] = [];
  if (cfg.custom_frame_options_value) {
    const v = headerValue(cfg.custom_frame_options_value, where, 'custom_frame_options_value');
    always.push(['X-Frame-Options', v]);
  } else if (cfg.frame_deny) always.push(['X-Frame-Options', 'DENY']);
  if (cfg.content_type_nosniff) always.push(['X-Content-Type-Options', 'nosniff']);
  if (cfg.browser_xss_filter) always.push(['X-XSS-Protection', '1; mode=block']);
  if (cfg.content_security_policy) {
    const v = headerValue(cfg.content_security_policy, where, 'content_security_policy');
    always.push(['Content-Security-Policy', v]);
  }
  if (cfg.referrer_policy) {
    always.push(['Referrer-Policy', headerValue(cfg.referrer_policy, where, 'referrer_policy')]);
  }
  const seconds = Math.trunc(cfg.sts_seconds ?? 0);
  const sts =
    seconds !== 0 && !cfg.is_development
      ? `max-age=${seconds}${cfg.sts_include_subdomains ? '; includeSubDomains' : ''}`
      : null;
  return { always, sts };
}

/** The path and query of a request target, also of an absolute-form one (`GET http://h/p?q`). */
function pathAndQuery(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return `${u.pathname}${u.search}`;
  } catch {
    return `/${target}`;
  }
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
  const { always, sts } = headersOf(cfg, where);
  const forceSts = cfg.force_sts_header === true;

  // Go's Header.Get reads the first of repeated fields; Node joins them with ', ' in req.headers.
  const first = (x: Exchange, name: string): string | undefined => x.req.headersDistinct[name]?.[0];
  const hostOf = (x: Exchange): string => {
    for (const name of proxyHeaders) {
      const v = first(x, name);
      if (v) return v;
    }
    return x.req.headers.host ?? '';
  };
  const isTls = (x: Exchange): boolean =>
    (x.req.socket as { encrypted?: boolean }).encrypted === true ||
    sslHeaders.some(([k, v]) => first(x, k as string) === v);

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
      const location = `https://${cfg.ssl_host || host}${pathAndQuery(x.req.url ?? '/')}`;
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
