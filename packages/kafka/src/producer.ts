import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, type ClusterOptions, type TopicInfo } from './cluster.js';
import type { Compression } from './compression.js';
import {
  errorInfo,
  KafkaClientError,
  KafkaConnectionError,
  KafkaError,
  KafkaProtocolError,
} from './errors.js';
import { partitionForKey } from './partitioner.js';
import { type PartitionBatch, parseProduceResponse, produceRequest } from './protocol/produce.js';
import type { KafkaRecord } from './record-batch.js';

export interface ProducerRecord extends KafkaRecord {
  topic: string;
  /** Explicit partition; default: by key (murmur2, as the Java client), round-robin without a key. */
  partition?: number | undefined;
}

/** The part of a pino logger the client uses. */
export interface KafkaLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface ProducerOptions extends ClusterOptions {
  /** -1 all in-sync replicas (default), 1 the leader, 0 none (the broker does not answer). */
  acks?: -1 | 0 | 1;
  /** How long the broker may wait for the acks (Produce timeout_ms); default requestTimeoutMs. */
  produceTimeoutMs?: number;
  compression?: Compression;
  /** Tries after the first for retriable failures, each after a metadata refresh (default 3). */
  retryMax?: number;
  logger?: KafkaLogger;
  /** Told how many records are about to be tried again (after a retriable failure and the pause). */
  onRetry?: (records: number) => void;
}

const recordsIn = (batches: readonly PartitionBatch[]) => batches.reduce((n, b) => n + b.records.length, 0);

interface Failure {
  batch: PartitionBatch;
  error: KafkaClientError;
}

const BACKOFF_MS = 100;
const BACKOFF_MAX_MS = 1000;

/**
 * Produces records to topics. Each `send` groups its records by partition leader and sends one Produce v3
 * request per broker, concurrently; partitions a broker refused retriably (leader moved, connection lost,
 * timeout) are sent again after a metadata refresh, up to `retryMax` times. A refusal that cannot change
 * (e.g. MESSAGE_TOO_LARGE) throws a KafkaError with Kafka's name for it in `type`. Not idempotent: a retry
 * may store a record twice.
 */
export class Producer {
  readonly cluster: Cluster;
  private readonly roundRobin = new Map<string, number>();
  /** Aborted by `close`: a send under way then stops instead of retrying on new connections. */
  private closing = new AbortController();

  constructor(private readonly options: ProducerOptions) {
    this.cluster = new Cluster(options);
  }

  /** Reaches the cluster (a bootstrap broker answers Metadata). */
  connect(): Promise<void> {
    return this.cluster.connect();
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { signal } = this.closing;
    const retryMax = this.options.retryMax ?? 3;
    const topics = new Set<string>();
    let last: string | undefined;
    for (const r of records) {
      if (r.topic !== last) topics.add(r.topic);
      last = r.topic;
    }
    let pending: PartitionBatch[] | undefined;
    for (let attempt = 0; ; attempt++) {
      let error: KafkaClientError;
      try {
        if (attempt === 0) await this.cluster.ensureTopics(topics);
        else await this.cluster.refresh(topics);
        pending ??= this.assign(records);
        if (signal.aborted) throw closedDuringSend();
        const failures = await this.produceOnce(pending);
        if (failures.length === 0) return;
        const fatal = failures.find((f) => !f.error.retriable);
        if (fatal) throw fatal.error;
        pending = failures.map((f) => f.batch);
        error = (failures[0] as Failure).error;
      } catch (err) {
        if (!(err instanceof KafkaClientError) || !err.retriable) throw err;
        error = err;
      }
      if (signal.aborted) throw closedDuringSend(error);
      if (attempt >= retryMax) throw error;
      const delay = Math.min(BACKOFF_MS * 2 ** attempt, BACKOFF_MAX_MS) * (0.8 + Math.random() * 0.4);
      this.options.logger?.warn(
        { attempt: attempt + 1, retry_max: retryMax, error: error.message },
        'kafka produce failed; retrying after a metadata refresh',
      );
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw closedDuringSend(error);
      this.options.onRetry?.(pending ? recordsIn(pending) : records.length);
    }
  }

  /** Closes every connection; sends under way fail (and are not retried). The producer may be used again. */
  close(): Promise<void> {
    this.closing.abort();
    this.closing = new AbortController();
    return this.cluster.close();
  }

  /** One batch per partition, records in the order given (so one key's records stay in order). */
  private assign(records: readonly ProducerRecord[]): PartitionBatch[] {
    const batches: PartitionBatch[] = [];
    const perTopic = new Map<string, (PartitionBatch | undefined)[]>();
    let topic: string | undefined;
    let info: TopicInfo | undefined;
    let slots: (PartitionBatch | undefined)[] = [];
    for (const r of records) {
      if (r.topic !== topic) {
        topic = r.topic;
        info = this.topicInfo(topic);
        slots = perTopic.get(topic) ?? [];
        perTopic.set(topic, slots);
      }
      const count = (info as TopicInfo).leaders.length;
      const partition =
        r.partition ?? (r.key === null ? this.nextRoundRobin(topic, count) : partitionForKey(r.key, count));
      if (partition < 0 || partition >= count) {
        throw new KafkaError(3, { topic, partition, message: `the topic has ${count} partitions` });
      }
      let batch = slots[partition];
      if (!batch) {
        batch = { topic, partition, records: [] };
        slots[partition] = batch;
        batches.push(batch);
      }
      batch.records.push(r);
    }
    return batches;
  }

  private topicInfo(topic: string): TopicInfo {
    const info = this.cluster.topic(topic);
    if (!info) throw new KafkaError(3, { topic });
    // A topic-level error with partitions listed (rare) still lets records be placed; without, nothing can.
    if (info.errorCode !== 0 && (info.leaders.length === 0 || !errorInfo(info.errorCode).retriable)) {
      throw new KafkaError(info.errorCode, { topic });
    }
    if (info.leaders.length === 0) throw new KafkaError(5, { topic });
    return info;
  }

  private nextRoundRobin(topic: string, count: number): number {
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, n + 1);
    return n % count;
  }

  /** Sends every batch to its leader, one request per broker, all at once; returns what failed. */
  private async produceOnce(batches: PartitionBatch[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    const byLeader = new Map<number, PartitionBatch[]>();
    for (const batch of batches) {
      const leader = this.cluster.topic(batch.topic)?.leaders[batch.partition] ?? -1;
      if (leader < 0) {
        failures.push({
          batch,
          error: new KafkaError(5, { topic: batch.topic, partition: batch.partition }),
        });
        continue;
      }
      const list = byLeader.get(leader);
      if (list) list.push(batch);
      else byLeader.set(leader, [batch]);
    }
    const results = await Promise.all([...byLeader].map(([leader, list]) => this.produceTo(leader, list)));
    for (const result of results) failures.push(...result);
    return failures;
  }

  private async produceTo(leader: number, batches: PartitionBatch[]): Promise<Failure[]> {
    const { clientId, requestTimeoutMs } = this.options;
    const acks = this.options.acks ?? -1;
    try {
      const connection = await this.cluster.connectionTo(leader);
      const frame = await produceRequest(batches, {
        clientId,
        acks,
        timeoutMs: this.options.produceTimeoutMs ?? requestTimeoutMs,
        compression: this.options.compression ?? 'none',
      });
      if (acks === 0) {
        await connection.send(frame);
        return [];
      }
      const results = await connection.request(frame, parseProduceResponse);
      const failures: Failure[] = [];
      for (const batch of batches) {
        const result = results.find((r) => r.partition === batch.partition && r.topic === batch.topic);
        if (!result) {
          failures.push({
            batch,
            error: new KafkaProtocolError(
              `no answer for ${batch.topic}/${batch.partition} from broker ${leader}`,
            ),
          });
        } else if (result.errorCode !== 0) {
          failures.push({
            batch,
            error: new KafkaError(result.errorCode, { topic: batch.topic, partition: batch.partition }),
          });
        }
      }
      return failures;
    } catch (err) {
      if (!(err instanceof KafkaClientError)) throw err;
      this.options.logger?.debug({ broker: leader, error: err.message }, 'kafka produce request failed');
      return batches.map((batch) => ({ batch, error: err }));
    }
  }
}

const CLOSED_DURING_SEND = 'the Kafka producer was closed during the send';

function closedDuringSend(cause?: KafkaClientError): KafkaConnectionError {
  if (cause instanceof KafkaConnectionError && cause.message === CLOSED_DURING_SEND) return cause;
  return new KafkaConnectionError(CLOSED_DURING_SEND, { cause });
}
