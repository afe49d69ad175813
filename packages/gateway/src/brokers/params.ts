import type { ProxyRequest } from '../pipeline/types.js';

/**
 * A request param by the name lura's proxy.Request gives it: the endpoint's `{name}` with its first letter
 * upper-cased (`{id}` is `Id`), which is how KrakenD's namespaces name params (`exp_key`, `routing_key`);
 * '' when the endpoint has no such param, as a Go map answers.
 */
export function paramReader(names: readonly string[]): (req: ProxyRequest, key: string) => string {
  const index = new Map(names.map((n, i) => [n.charAt(0).toUpperCase() + n.slice(1), i]));
  return (req, key) => {
    const i = index.get(key);
    return i === undefined ? '' : (req.params[i] ?? '');
  };
}

/** Go's canonical header name (textproto.CanonicalMIMEHeaderKey): `content-type` is `Content-Type`. */
export const canonicalHeader = (name: string): string =>
  name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
