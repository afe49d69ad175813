import { createHash } from 'node:crypto';
import type { RedisConnection } from './connections.js';

/** Where a Redis-backed limit keeps its buckets: the connection and the limit's name in Redis. */
export interface SharedStore {
  connection: RedisConnection;
  /** Names the limit the same way on every node: method, endpoint pattern (and backend), never an index. */
  scope: string;
}

/** A decision on one bucket: sync for a node-local bucket, async for a shared one. */
export type Take = (client: string) => boolean | Promise<boolean>;

const KEY_PREFIX = 'switchyard:ratelimit:';
/** Client keys (header values, params) longer than this are hashed, so Redis keys stay bounded. */
const MAX_CLIENT_KEY = 64;

/**
 * A bucket kept in Redis, shared by every node that names it alike; `local` decides while Redis does not
 * answer (the node's own bucket with the same settings), so an outage degrades to per-node limits and
 * never fails the request.
 */
export function sharedTake(
  store: SharedStore,
  capacity: number,
  rate: number,
  everyMs: number,
  local: Take,
): Take {
  const perMs = rate / everyMs;
  const prefix = `${KEY_PREFIX}${store.scope}:`;
  const c = store.connection;
  return (client) =>
    c.take(prefix + clientKey(client), capacity, perMs).then(
      (admitted) => {
        c.answered();
        return admitted;
      },
      (err: unknown) => {
        c.failed(err);
        return local(client);
      },
    );
}

function clientKey(client: string): string {
  if (client.length <= MAX_CLIENT_KEY) return client;
  return `sha256:${createHash('sha256').update(client).digest('base64url')}`;
}
