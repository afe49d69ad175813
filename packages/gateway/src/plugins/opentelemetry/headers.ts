import { REDACTED, type SensitiveNames } from '@switchyard/shared';

type Headers = Record<string, string | string[] | number | undefined>;

/**
 * `report_headers`: each header as a `<prefix><lower-case name>` string-array attribute, as krakend-otel
 * writes them, without those in `skip`. Credentials (the headers the events and logs redact, with
 * `telemetry/events.redact_headers`) are reported as `[REDACTED]`: a secret never reaches a collector.
 */
export function headerAttributes(
  prefix: 'http.request.header.' | 'http.response.header.',
  headers: Headers,
  skip: ReadonlySet<string>,
  hidden: SensitiveNames,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name in headers) {
    const raw = headers[name];
    const lower = name.toLowerCase();
    if (raw === undefined || skip.has(lower)) continue;
    const values = Array.isArray(raw) ? raw : [String(raw)];
    out[prefix + lower] = hidden.has(lower) ? values.map(() => REDACTED) : values;
  }
  return out;
}
