import { KafkaProtocolError } from './errors.js';
import type { ApiVersionRange } from './protocol/api-versions.js';
import { ApiKey } from './protocol/request.js';

/**
 * The request versions this client implements, per API it uses. Each connection sends the highest version
 * both it and the broker support: Kafka 4.x brokers dropped the oldest versions (KIP-896), old brokers lack
 * the newest. The ranges stop before each API's first "flexible" (tagged-field) version.
 */
export const IMPLEMENTED = {
  produce: { key: ApiKey.Produce, name: 'Produce', min: 3, max: 8 },
  metadata: { key: ApiKey.Metadata, name: 'Metadata', min: 1, max: 8 },
  initProducerId: { key: ApiKey.InitProducerId, name: 'InitProducerId', min: 0, max: 1 },
  saslHandshake: { key: ApiKey.SaslHandshake, name: 'SaslHandshake', min: 1, max: 1 },
  saslAuthenticate: { key: ApiKey.SaslAuthenticate, name: 'SaslAuthenticate', min: 0, max: 1 },
} as const;

export type ApiName = keyof typeof IMPLEMENTED;

/** The version of each API a connection uses; undefined for one the broker lacks and the client does not need. */
export type NegotiatedVersions = Record<ApiName, number | undefined>;

/**
 * Picks, per API, the highest version in both the client's range and the broker's. An API the client needs
 * (`required`) without a common version fails with an error naming the API and both ranges.
 */
export function negotiate(
  broker: ReadonlyMap<number, ApiVersionRange>,
  required: readonly ApiName[],
  address: string,
): NegotiatedVersions {
  const chosen = {} as NegotiatedVersions;
  const problems: string[] = [];
  for (const [name, api] of Object.entries(IMPLEMENTED) as [ApiName, (typeof IMPLEMENTED)[ApiName]][]) {
    const range = broker.get(api.key);
    const version = range && Math.min(api.max, range.max);
    const common = range !== undefined && version !== undefined && version >= Math.max(api.min, range.min);
    chosen[name] = common ? version : undefined;
    if (!common && required.includes(name)) {
      const theirs = range ? `v${range.min}..v${range.max}` : 'no version';
      problems.push(`${api.name} (the broker supports ${theirs}, this client v${api.min}..v${api.max})`);
    }
  }
  if (problems.length > 0) {
    throw new KafkaProtocolError(`broker ${address}: no common version of ${problems.join('; ')}`);
  }
  return chosen;
}
