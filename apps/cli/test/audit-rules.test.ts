import type { GatewayFile } from '@switchyard/config';
import { describe, expect, it } from 'vitest';
import { auditConfig, RULES } from '../src/audit/rules.js';

const ids = (c: GatewayFile, severities?: string[]) =>
  auditConfig(c, severities ? { severities } : {}).map((r) => r.rule);

/** A config that passes every rule but the unavoidable TLS advice. */
const hardened: GatewayFile = {
  version: 3,
  timeout: '2s',
  extra_config: {
    router: { hide_version_header: true },
    'security/cors': { allow_origins: ['https://example.com'] },
    'telemetry/metrics': {},
    'telemetry/logging': { level: 'INFO' },
  },
  endpoints: [
    {
      endpoint: '/a',
      extra_config: {
        'auth/validator': { alg: 'RS256', jwk_url: 'https://idp/jwks' },
        'qos/ratelimit/router': { max_rate: 10 },
      },
      backend: [
        {
          host: ['http://h'],
          url_pattern: '/x',
          extra_config: { 'qos/circuit-breaker': { interval: 60, timeout: 10, max_errors: 3 } },
        },
        { host: ['http://h'], url_pattern: '/y' },
      ],
    },
  ],
} as GatewayFile;

const tweak = (f: (c: GatewayFile & Record<string, unknown>) => void): GatewayFile => {
  const c = structuredClone(hardened) as GatewayFile & Record<string, unknown>;
  f(c);
  return c;
};
const ep = (c: GatewayFile) =>
  (c.endpoints as NonNullable<GatewayFile['endpoints']>)[0] as NonNullable<GatewayFile['endpoints']>[number] &
    Record<string, unknown>;

describe('audit rules', () => {
  it('a hardened config gets only the TLS advice (Switchyard serves plain HTTP)', () => {
    expect(ids(hardened)).toEqual(['2.1.2']);
  });

  it.each<[string, (c: GatewayFile & Record<string, unknown>) => void]>([
    ['1.2.1', (c) => delete (ep(c).extra_config as Record<string, unknown>)['auth/validator']],
    ['2.2.1', (c) => delete (c.extra_config as Record<string, unknown>).router],
    ['2.2.2', (c) => delete (c.extra_config as Record<string, unknown>)['security/cors']],
    ['2.2.3', (c) => (ep(c).input_headers = ['*'])],
    ['2.2.4', (c) => (ep(c).input_query_strings = ['*'])],
    ['3.1.2', (c) => delete (ep(c).extra_config as Record<string, unknown>)['qos/ratelimit/router']],
    ['3.1.3', (c) => delete (ep(c).backend[0] as Record<string, unknown>).extra_config],
    ['4.1.1', (c) => delete (c.extra_config as Record<string, unknown>)['telemetry/metrics']],
    ['4.3.1', (c) => delete (c.extra_config as Record<string, unknown>)['telemetry/logging']],
    ['5.1.2', (c) => (c.debug_endpoint = true)],
    ['5.1.3', (c) => (c.echo_endpoint = true)],
    ['5.1.4', (c) => (ep(c).endpoint = '/a/*')],
    ['5.1.7', (c) => ((ep(c).extra_config as Record<string, unknown>).proxy = { sequential: true })],
  ])('%s fires on the change it is about', (rule, change) => {
    expect(ids(tweak(change))).toEqual(
      ['2.1.2', rule].sort(
        (a, b) => RULES.findIndex((r) => r.rule === a) - RULES.findIndex((r) => r.rule === b),
      ),
    );
  });

  it('timeouts: 3.3.1 to 3.3.4 by how long the longest endpoint timeout is (the root timeout when unset)', () => {
    expect(ids(tweak((c) => (c.timeout = '4s')))).toEqual(['2.1.2', '3.3.1']);
    expect(ids(tweak((c) => (ep(c).timeout = '90s')))).toEqual(['2.1.2', '3.3.1', '3.3.2', '3.3.3', '3.3.4']);
  });

  it('2.3.1 for an unbounded cache, 5.1.6 for two write backends, 5.2.2 when no endpoint aggregates', () => {
    expect(
      ids(
        tweak((c) => ((ep(c).backend[1] as Record<string, unknown>).extra_config = { 'qos/http-cache': {} })),
      ),
    ).toContain('2.3.1');
    const writes = tweak((c) => {
      for (const b of ep(c).backend) b.method = 'POST';
    });
    expect(ids(writes)).toContain('5.1.6');
    expect(ids(tweak((c) => ep(c).backend.pop()))).toContain('5.2.2');
  });

  it('S.1.1 for an admin listener beyond loopback without a token; S.1.2 for write endpoints without JWT', () => {
    const open = tweak(
      (c) => ((c.extra_config as Record<string, unknown>).admin = { listen: '0.0.0.0:8091' }),
    );
    expect(ids(open)).toContain('S.1.1');
    const tokened = tweak(
      (c) => ((c.extra_config as Record<string, unknown>).admin = { listen: '0.0.0.0:8091', token: 't' }),
    );
    expect(ids(tokened)).not.toContain('S.1.1');
    expect(
      ids(tweak((c) => ((c.extra_config as Record<string, unknown>).admin = { listen: ':8091' }))),
    ).not.toContain('S.1.1');
    const write = tweak((c) => {
      ep(c).method = 'POST';
      delete (ep(c).extra_config as Record<string, unknown>)['auth/validator'];
    });
    expect(ids(write)).toContain('S.1.2');
  });

  it('severities filter what is reported, and ignored rules are skipped', () => {
    const c = tweak((x) => (x.debug_endpoint = true));
    expect(ids(c, ['LOW'])).toEqual(['5.1.2']);
    expect(auditConfig(c, { ignore: ['5.1.2', '2.1.2'] })).toEqual([]);
  });
});
