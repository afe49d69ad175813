import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Connection } from './connection.js';
import { KafkaConnectionError, KafkaError } from './errors.js';
import { type Metadata, metadataRequest, parseMetadata } from './protocol/metadata.js';
import type { SaslOptions } from './sasl.js';

export interface ClusterOptions {
  /** Bootstrap brokers, "host:port". */
  brokers: readonly string[];
  clientId: string;
  tls?: TlsOptions | undefined;
  sasl?: SaslOptions | undefined;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** Let Metadata create topics that do not exist (the broker's auto.create.topics.enable still decides). */
  allowAutoTopicCreation?: boolean | undefined;
  /** Metadata older than this is refreshed before use (as the Java client's metadata.max.age.ms). */
  metadataMaxAgeMs?: number | undefined;
}

export interface TopicInfo {
  /** The topic-level error code of the last Metadata answer (0 when fine). */
  errorCode: number;
  /** Leader node id per partition, -1 while a partition has none. */
  leaders: Int32Array;
}

interface Address {
  host: string;
  port: number;
}

export function parseBroker(broker: string): Address {
  const colon = broker.lastIndexOf(':');
  const port = Number(broker.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new KafkaConnectionError(`bad broker address "${broker}" (expected host:port)`);
  }
  const host = broker.slice(0, colon);
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}

/**
 * What the client knows of the cluster: brokers by node id, and per topic its partition count and leaders.
 * Metadata comes from any reachable broker (bootstrap list first, then the brokers it named); leaders get a
 * connection each, opened on first use and replaced once it fails.
 */
export class Cluster {
  private readonly seeds: Address[];
  private readonly brokers = new Map<number, Address>();
  private readonly topics = new Map<string, TopicInfo>();
  /** Every topic asked for so far: each refresh covers them all. */
  private readonly wanted = new Set<string>();
  private readonly connections = new Map<number, Promise<Connection>>();
  private metadataConnection: Connection | undefined;
  private nextSeed = 0;
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;
  /** Counts `close` calls: a connection that finishes opening after one is closed, not used. */
  private generation = 0;

  constructor(private readonly options: ClusterOptions) {
    this.seeds = options.brokers.map(parseBroker);
  }

  /** Connects to a broker and reads the cluster's brokers: proves the cluster is reachable. */
  async connect(): Promise<void> {
    await this.refresh();
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /** Makes sure metadata for `names` is known and fresh (fetching it when not). */
  async ensureTopics(names: Iterable<string>): Promise<void> {
    let missing = Date.now() - this.refreshedAt > (this.options.metadataMaxAgeMs ?? 300_000);
    for (const name of names) {
      if (!this.topics.has(name)) missing = true;
      this.wanted.add(name);
    }
    if (missing) await this.refresh();
  }

  /**
   * Fetches metadata for every wanted topic (plus `names`). Concurrent callers share one request unless
   * they need topics it did not ask for (they then wait for it and send their own).
   */
  async refresh(names: Iterable<string> = []): Promise<void> {
    let extra = false;
    for (const name of names) {
      if (!this.wanted.has(name)) extra = true;
      this.wanted.add(name);
    }
    if (this.refreshing) {
      if (!extra) return this.refreshing;
      await this.refreshing.catch(() => undefined);
    }
    const run = this.fetchMetadata().finally(() => {
      if (this.refreshing === run) this.refreshing = undefined;
    });
    this.refreshing = run;
    return run;
  }

  /** A connection to broker `nodeId`, opened (and authenticated) on first use. */
  connectionTo(nodeId: number): Promise<Connection> {
    const cached = this.connections.get(nodeId);
    if (cached) return cached;
    const address = this.brokers.get(nodeId);
    if (!address) return Promise.reject(new KafkaConnectionError(`broker ${nodeId} is not in the metadata`));
    const generation = this.generation;
    // A connection that failed to open, or closed, makes room for a new one (unless already replaced).
    const forget = () => {
      if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
    };
    const opening = Connection.open(this.connectionOptions(address)).then((connection) => {
      if (generation !== this.generation) {
        connection.close();
        throw clientClosed();
      }
      connection.onClose(forget);
      return connection;
    });
    opening.catch(forget);
    this.connections.set(nodeId, opening);
    return opening;
  }

  /** Closes every connection; the cluster reconnects on next use. */
  async close(): Promise<void> {
    this.generation++;
    this.refreshing = undefined;
    const connections = [...this.connections.values()];
    this.connections.clear();
    this.metadataConnection?.close();
    this.metadataConnection = undefined;
    for (const opening of connections) {
      await opening.then(
        (c) => c.close(),
        () => undefined,
      );
    }
  }

  private async fetchMetadata(): Promise<void> {
    const topics = [...this.wanted];
    const autoCreate = this.options.allowAutoTopicCreation ?? true;
    const metadata = await this.withMetadataConnection((c) => {
      const version = c.versions.metadata ?? 1;
      const request = metadataRequest(this.options.clientId, version, topics, autoCreate);
      return c.request(request, (r) => parseMetadata(r, version));
    });
    this.apply(metadata);
  }

  private apply(metadata: Metadata): void {
    const listed = new Set(metadata.brokers.map((b) => b.nodeId));
    for (const nodeId of [...this.brokers.keys()]) {
      if (listed.has(nodeId)) continue;
      // The broker left the cluster: forget it, and drop its connection.
      this.brokers.delete(nodeId);
      this.dropConnection(nodeId);
    }
    for (const broker of metadata.brokers) {
      const known = this.brokers.get(broker.nodeId);
      // The broker moved: its old connection goes to an address that is no longer it.
      if (known && (known.host !== broker.host || known.port !== broker.port))
        this.dropConnection(broker.nodeId);
      this.brokers.set(broker.nodeId, { host: broker.host, port: broker.port });
    }
    for (const topic of metadata.topics) {
      let count = 0;
      for (const p of topic.partitions) count = Math.max(count, p.partition + 1);
      const leaders = new Int32Array(count).fill(-1);
      for (const p of topic.partitions) if (p.errorCode !== 5) leaders[p.partition] = p.leader;
      this.topics.set(topic.name, { errorCode: topic.errorCode, leaders });
    }
    this.refreshedAt = Date.now();
  }

  /** Closes the connection to broker `nodeId` (once it opened), if there is one. */
  private dropConnection(nodeId: number): void {
    const old = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    old?.then(
      (c) => c.close(),
      () => undefined,
    );
  }

  /** Runs `fn` on the metadata connection, moving on to the next broker while they fail to connect. */
  async withMetadataConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    // A close while this runs ends it: no new connection after close.
    const generation = this.generation;
    if (this.metadataConnection?.closed === false) {
      try {
        return await fn(this.metadataConnection);
      } catch (err) {
        if (!(err instanceof KafkaConnectionError)) throw err;
      }
    }
    // Known brokers first (the bootstrap list may name only some), then the bootstrap list.
    const candidates = [...this.brokers.values(), ...this.seeds];
    let last: unknown;
    for (let i = 0; i < candidates.length; i++) {
      if (generation !== this.generation) throw clientClosed();
      const address = candidates[(this.nextSeed + i) % candidates.length] as Address;
      try {
        const connection = await Connection.open(this.connectionOptions(address));
        if (generation !== this.generation) {
          connection.close();
          throw clientClosed();
        }
        this.nextSeed = (this.nextSeed + i) % candidates.length;
        this.metadataConnection?.close();
        this.metadataConnection = connection;
        return await fn(connection);
      } catch (err) {
        last = err;
        if (generation !== this.generation) throw err;
        // A broker that answers but refuses us (SASL, versions) will not do better on the next try.
        if (err instanceof KafkaError || !(err instanceof KafkaConnectionError || isTimeout(err))) throw err;
      }
    }
    throw last ?? new KafkaConnectionError('no brokers to connect to');
  }

  private connectionOptions(address: Address) {
    const { clientId, tls, sasl, requestTimeoutMs, connectTimeoutMs } = this.options;
    return { ...address, clientId, tls, sasl, requestTimeoutMs, connectTimeoutMs };
  }
}

function clientClosed(): KafkaConnectionError {
  return new KafkaConnectionError('the Kafka client was closed');
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'KafkaTimeoutError';
}
