import { isDeepStrictEqual } from 'node:util';
import type { GatewayFile } from '@switchyard/config';

/** One `extra_config` namespace whose settings differ between two gateway files. */
export interface NamespaceChange {
  /** The namespace, e.g. `qos/circuit-breaker`. */
  plugin: string;
  /** `root`, an endpoint (`GET /users/{id}`) or one of its backends (`GET /users/{id} backend[1] /orders`). */
  scope: string;
  /** The old settings; null when the namespace (or its endpoint or backend) was not there. */
  from: unknown;
  /** The new settings; null when it was removed. */
  to: unknown;
}

type ExtraConfig = Record<string, unknown> | undefined;
type Endpoint = NonNullable<GatewayFile['endpoints']>[number];
type Backend = Endpoint['backend'][number];

// Keys starting with these are comments and annotations (KrakenD ignores them), not namespaces.
const COMMENT = /^[@$_#]/;

function diffExtra(scope: string, before: ExtraConfig, after: ExtraConfig, out: NamespaceChange[]): void {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const plugin of names) {
    if (COMMENT.test(plugin)) continue;
    const from = before?.[plugin] ?? null;
    const to = after?.[plugin] ?? null;
    if (!isDeepStrictEqual(from, to)) out.push({ plugin, scope, from, to });
  }
}

const endpointKey = (ep: Endpoint) => `${(ep.method ?? 'GET').toUpperCase()} ${ep.endpoint}`;

/**
 * The `extra_config` namespaces that differ between two files, at the root, per endpoint (matched by
 * method and path) and per backend (matched by position within its endpoint). A namespace of an added or
 * removed endpoint or backend counts as changed from or to null. Comment keys are ignored.
 */
export function namespaceChanges(before: GatewayFile, after: GatewayFile): NamespaceChange[] {
  const out: NamespaceChange[] = [];
  diffExtra('root', before.extra_config, after.extra_config, out);
  const old = new Map((before.endpoints ?? []).map((ep) => [endpointKey(ep), ep]));
  const now = new Map((after.endpoints ?? []).map((ep) => [endpointKey(ep), ep]));
  for (const key of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(key);
    const b = now.get(key);
    diffExtra(key, a?.extra_config, b?.extra_config, out);
    const backends = Math.max(a?.backend.length ?? 0, b?.backend.length ?? 0);
    for (let i = 0; i < backends; i++) {
      const x: Backend | undefined = a?.backend[i];
      const y: Backend | undefined = b?.backend[i];
      const scope = `${key} backend[${i}] ${(y ?? x)?.url_pattern ?? ''}`.trimEnd();
      diffExtra(scope, x?.extra_config, y?.extra_config, out);
    }
  }
  return out;
}
