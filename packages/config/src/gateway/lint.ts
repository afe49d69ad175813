import type { Reporter } from '../diagnostics/reporter.js';
import type { ParsedJson } from '../json/parse-with-positions.js';
import { urlParams } from './rules.js';

// `check --lint`: things that are valid but probably not what was meant. Each is a warning; docs/config.md
// lists them.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const RESP_PARAM = /^resp(\d+)_/;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/;

export function lintGateway(config: unknown, duplicates: ParsedJson['duplicates'], report: Reporter): void {
  for (const d of duplicates) {
    report.warn(d.pointer, 'duplicate key; only the last one is used', {
      at: 'key',
      hint: `also defined at line ${d.first.line}`,
    });
  }
  if (!isObject(config)) return;

  const admin = isObject(config.extra_config) ? config.extra_config.admin : undefined;
  if (isObject(admin) && typeof admin.listen === 'string' && !LOOPBACK.test(admin.listen) && !admin.token) {
    report.warn('/extra_config/admin/listen', 'the admin API listens beyond loopback without a token', {
      hint: 'set "token", or listen on 127.0.0.1',
    });
  }

  list(config.endpoints).forEach((e, i) => {
    if (!isObject(e)) return;
    const at = `/endpoints/${i}`;
    const backends = list(e.backend);
    const method = typeof e.method === 'string' ? e.method : 'GET';
    const proxy = isObject(e.extra_config) ? e.extra_config.proxy : undefined;
    const sequential = isObject(proxy) && proxy.sequential === true;

    if (list(e.input_headers).includes('*')) {
      report.warn(
        `${at}/input_headers`,
        'forwards every client header to the backends, Authorization and Cookie included',
        {
          hint: 'list the headers the backends need',
        },
      );
    }
    if (typeof e.concurrent_calls === 'number' && e.concurrent_calls > 1 && !IDEMPOTENT.has(method)) {
      report.warn(`${at}/concurrent_calls`, `concurrent calls repeat a ${method} request to the backend`, {
        hint: 'use concurrent_calls only with GET or HEAD',
      });
    }
    if (sequential && backends.length < 2) {
      report.warn(`${at}/extra_config/proxy/sequential`, 'sequential has no effect with a single backend');
    }

    backends.forEach((b, j) => {
      if (!isObject(b)) return;
      const bat = `${at}/backend/${j}`;
      if (typeof b.url_pattern === 'string') {
        if (!b.url_pattern.startsWith('/')) {
          report.warn(`${bat}/url_pattern`, 'a url_pattern should start with "/"', {
            hint: `did you mean "/${b.url_pattern}"?`,
          });
        }
        for (const p of urlParams(b.url_pattern)) {
          const m = RESP_PARAM.exec(p);
          if (!m) continue;
          const from = Number(m[1]);
          if (!sequential) {
            report.warn(`${bat}/url_pattern`, `{${p}} is only filled by a sequential proxy`, {
              hint: 'set extra_config.proxy.sequential to true on the endpoint',
            });
          } else if (from >= j) {
            report.warn(
              `${bat}/url_pattern`,
              `{${p}} refers to backend ${from}, which is not called before backend ${j}`,
            );
          }
        }
      }
      for (const [h, k] of list(b.host).entries()) {
        if (typeof k === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(k)) {
          report.warn(`${bat}/host/${h}`, `host ${JSON.stringify(k)} has no scheme; http:// is assumed`);
        }
      }
      if (list(b.allow).length > 0 && list(b.deny).length > 0) {
        report.warn(`${bat}/deny`, 'both allow and deny are set; use one of them');
      }
      if (list(b.input_headers).includes('*')) {
        report.warn(
          `${bat}/input_headers`,
          'forwards every client header to this backend, Authorization and Cookie included',
        );
      }
      if (e.output_encoding === 'no-op' && b.encoding !== undefined && b.encoding !== 'no-op') {
        report.warn(
          `${bat}/encoding`,
          `ignored: the endpoint's no-op output encoding passes the response through as it is`,
        );
      }
    });
  });
}
