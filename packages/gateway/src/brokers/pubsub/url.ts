import { SwitchyardError } from '@switchyard/shared';

/** A gocloud.dev Pub/Sub URL: `nats://subject`, `mem://topic`, `kafka://topic`, with its query. */
export interface PubsubUrl {
  scheme: string;
  /** The subject, topic or group: what follows `scheme://`, before `?`. */
  name: string;
  query: URLSearchParams;
}

/** The backend's host and its topic_url/subscription_url joined, as krakend-pubsub joins them. */
export function parsePubsubUrl(url: string, where: string): PubsubUrl {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^?]*)(?:\?(.*))?$/i.exec(url);
  if (!m?.[1] || !m[2])
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where}: ${JSON.stringify(url)} is not a Pub/Sub URL (scheme://name)`,
    );
  return { scheme: m[1].toLowerCase(), name: m[2], query: new URLSearchParams(m[3] ?? '') };
}

/** The environment variable gocloud reads a broker address from; a clear error when it is not set. */
export function fromEnv(name: string, where: string, scheme: string): string {
  const value = process.env[name];
  if (!value)
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where}: ${scheme}:// needs the ${name} environment variable (as gocloud.dev reads it)`,
    );
  return value;
}

/** gocloud refuses a URL with a query parameter its opener does not know; so does Switchyard. */
export function knownParams(u: PubsubUrl, known: readonly string[], where: string): void {
  for (const name of u.query.keys())
    if (!known.includes(name))
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: ${u.scheme}:// has no query parameter ${JSON.stringify(name)} (known: ${known.join(', ') || 'none'})`,
      );
}

/** A query parameter given at most once and not empty, as gocloud's openers read `key_name`, `offset`, …. */
export function singleParam(u: PubsubUrl, name: string, where: string): string | undefined {
  const values = u.query.getAll(name);
  if (values.length === 0) return undefined;
  if (values.length > 1 || !values[0])
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where}: ${u.scheme}://${u.name} has an invalid query parameter ${JSON.stringify(name)}`,
    );
  return values[0];
}
