import type { GatewayFile } from '@switchyard/config';
import { parseDuration } from '@switchyard/shared';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One finding: KrakenD's audit recommendation shape. */
export interface Recommendation {
  rule: string;
  severity: Severity;
  message: string;
}

interface Rule extends Recommendation {
  applies(c: GatewayFile): boolean;
}

type Endpoint = GatewayFile['endpoints'] extends (infer E)[] | undefined ? E : never;

const endpointsOf = (c: GatewayFile): Endpoint[] => c.endpoints ?? [];
const has = (extra: unknown, ns: string) =>
  typeof extra === 'object' && extra !== null && Object.hasOwn(extra as object, ns);
const nsOf = (extra: unknown, ns: string): Record<string, unknown> | undefined =>
  has(extra, ns) ? ((extra as Record<string, unknown>)[ns] as Record<string, unknown>) : undefined;
const anyBackend = (c: GatewayFile, test: (b: Endpoint['backend'][number], e: Endpoint) => boolean) =>
  endpointsOf(c).some((e) => e.backend.some((b) => test(b, e)));
const timeoutMs = (c: GatewayFile, e: Endpoint) => parseDuration(e.timeout ?? c.timeout ?? '2s');
const SAFE = new Set(['GET', 'HEAD']);
const isLoopback = (listen: string) => /^(127\.|localhost:|\[::1\]:|::1:|:)/.test(listen);

/**
 * The rules of KrakenD's `audit` that apply to what Switchyard runs, with KrakenD's ids, severities and
 * advice; `S.*` are Switchyard's own (its admin listener). docs/cli.md lists which KrakenD rules are left
 * out and why.
 */
export const RULES: readonly Rule[] = [
  {
    rule: '1.2.1',
    severity: 'HIGH',
    message: 'Prioritize using JWT for endpoint authorization to ensure security.',
    applies: (c) => !endpointsOf(c).some((e) => has(e.extra_config, 'auth/validator')),
  },
  {
    rule: '2.1.2',
    severity: 'HIGH',
    message: 'Enable TLS or use a terminator in front of the gateway (Switchyard serves plain HTTP).',
    applies: () => true,
  },
  {
    rule: '2.2.1',
    severity: 'MEDIUM',
    message: 'Hide the version banner in runtime (router.hide_version_header).',
    applies: (c) => nsOf(c.extra_config, 'router')?.hide_version_header !== true,
  },
  {
    rule: '2.2.2',
    severity: 'HIGH',
    message: 'Enable CORS (security/cors).',
    applies: (c) => !has(c.extra_config, 'security/cors'),
  },
  {
    rule: '2.2.3',
    severity: 'HIGH',
    message: 'Avoid passing all input headers to the backend (input_headers "*").',
    applies: (c) => endpointsOf(c).some((e) => e.input_headers?.includes('*')),
  },
  {
    rule: '2.2.4',
    severity: 'HIGH',
    message: 'Avoid passing all input query strings to the backend (input_query_strings "*").',
    applies: (c) => endpointsOf(c).some((e) => e.input_query_strings?.includes('*')),
  },
  {
    rule: '2.3.1',
    severity: 'MEDIUM',
    message: 'Limit the amount of cacheable content (qos/http-cache max_items and max_size).',
    applies: (c) =>
      anyBackend(c, (b) => {
        const cache = nsOf(b.extra_config, 'qos/http-cache');
        return cache !== undefined && (cache.max_items === undefined || cache.max_size === undefined);
      }),
  },
  {
    rule: '3.1.2',
    severity: 'HIGH',
    message: 'Implement a rate-limiting strategy and avoid having an All-You-Can-Eat API.',
    applies: (c) =>
      !endpointsOf(c).some(
        (e) =>
          has(e.extra_config, 'qos/ratelimit/router') ||
          e.backend.some((b) => has(b.extra_config, 'qos/ratelimit/proxy')),
      ),
  },
  {
    rule: '3.1.3',
    severity: 'HIGH',
    message: 'Protect your backends with a circuit breaker.',
    applies: (c) => !anyBackend(c, (b) => has(b.extra_config, 'qos/circuit-breaker')),
  },
  ...(
    [
      ['3.3.1', 'LOW', 3000, '3 seconds'],
      ['3.3.2', 'MEDIUM', 5000, '5 seconds'],
      ['3.3.3', 'HIGH', 30000, '30 seconds'],
      ['3.3.4', 'CRITICAL', 60000, '1 minute'],
    ] as const
  ).map(([rule, severity, ms, text]) => ({
    rule,
    severity,
    message: `Set timeouts to below ${text} for improved performance.`,
    applies: (c: GatewayFile) => endpointsOf(c).some((e) => timeoutMs(c, e) > ms),
  })),
  {
    rule: '4.1.1',
    severity: 'MEDIUM',
    message:
      'Implement a telemetry system for collecting metrics for monitoring and troubleshooting (telemetry/metrics).',
    applies: (c) => !has(c.extra_config, 'telemetry/metrics'),
  },
  {
    rule: '4.3.1',
    severity: 'MEDIUM',
    message: 'Use the improved logging component for better log parsing (telemetry/logging).',
    applies: (c) => !has(c.extra_config, 'telemetry/logging'),
  },
  {
    rule: '5.1.1',
    severity: 'LOW',
    message:
      'Follow a RESTful endpoint structure for improved readability and maintainability (disable_rest).',
    applies: (c) => c.disable_rest === true,
  },
  {
    rule: '5.1.2',
    severity: 'LOW',
    message: 'Disable the /__debug/ endpoint for added security.',
    applies: (c) => c.debug_endpoint === true,
  },
  {
    rule: '5.1.3',
    severity: 'LOW',
    message: 'Disable the /__echo/ endpoint for added security.',
    applies: (c) => c.echo_endpoint === true,
  },
  {
    rule: '5.1.4',
    severity: 'LOW',
    message: 'Declare explicit endpoints instead of using wildcards.',
    applies: (c) => endpointsOf(c).some((e) => e.endpoint.endsWith('*')),
  },
  {
    rule: '5.1.5',
    severity: 'MEDIUM',
    message: 'Declare explicit endpoints instead of using /__catchall.',
    applies: (c) => endpointsOf(c).some((e) => e.endpoint === '/__catchall'),
  },
  {
    rule: '5.1.6',
    severity: 'MEDIUM',
    message: 'Avoid using multiple write methods in endpoint definitions.',
    applies: (c) =>
      endpointsOf(c).some(
        (e) => e.backend.filter((b) => !SAFE.has((b.method ?? e.method ?? 'GET').toUpperCase())).length > 1,
      ),
  },
  {
    rule: '5.1.7',
    severity: 'MEDIUM',
    message: 'Avoid using sequential proxy.',
    applies: (c) => endpointsOf(c).some((e) => nsOf(e.extra_config, 'proxy')?.sequential === true),
  },
  {
    rule: '5.2.1',
    severity: 'CRITICAL',
    message: 'Ensure all endpoints have at least one backend for proper functionality.',
    applies: (c) => endpointsOf(c).some((e) => e.backend.length === 0),
  },
  {
    rule: '5.2.2',
    severity: 'LOW',
    message: 'Benefit from the backend for frontend pattern capabilities.',
    applies: (c) => endpointsOf(c).every((e) => e.backend.length <= 1),
  },
  {
    rule: '5.2.3',
    severity: 'LOW',
    message: 'Avoid coupling clients by overusing no-op encoding.',
    applies: (c) =>
      endpointsOf(c).length > 0 &&
      endpointsOf(c).every((e) => (e.output_encoding ?? c.output_encoding) === 'no-op'),
  },
  {
    rule: 'S.1.1',
    severity: 'CRITICAL',
    message: 'Give the admin listener a token when it listens beyond loopback (extra_config.admin.token).',
    applies: (c) => {
      const admin = nsOf(c.extra_config, 'admin');
      const listen = typeof admin?.listen === 'string' ? admin.listen : '127.0.0.1:8091';
      return admin?.disable !== true && !isLoopback(listen) && !admin?.token;
    },
  },
  {
    rule: 'S.1.2',
    severity: 'HIGH',
    message:
      'Protect the endpoints that write (POST, PUT, PATCH, DELETE) with JWT validation (auth/validator).',
    applies: (c) =>
      endpointsOf(c).some(
        (e) => !SAFE.has((e.method ?? 'GET').toUpperCase()) && !has(e.extra_config, 'auth/validator'),
      ),
  },
];

/** KrakenD's audit: every rule not ignored, of the chosen severities, that applies to the config. */
export function auditConfig(
  config: GatewayFile,
  options: { ignore?: readonly string[]; severities?: readonly string[] } = {},
): Recommendation[] {
  const ignore = new Set(options.ignore ?? []);
  const severities = new Set(options.severities ?? SEVERITIES);
  return RULES.filter((r) => !ignore.has(r.rule) && severities.has(r.severity) && r.applies(config)).map(
    ({ rule, severity, message }) => ({ rule, severity, message }),
  );
}
