import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, type ClusterOptions, type TopicInfo } from './cluster.js';
import { type Compression, checkCodec, ZSTD_MIN_PRODUCE_VERSION } from './compression.js';
import {
  errorInfo,
  KafkaClientError,
  KafkaConnectionError,
  KafkaError,
  KafkaProtocolError,
} from './errors.js';
import { Idempotence, type ProducerIdentity } from './idempotence.js';
import { partitionForKey } from './partitioner.js';
import { initProducerIdRequest, parseInitProducerId } from './protocol/init-producer-id.js';
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
  /**
   * Idempotent producer (default: on with acks -1): a producer id and per-partition sequence numbers, so a
   * batch tried again after a lost answer is stored once. Needs acks -1.
   */
  idempotent?: boolean;
  /** Produce requests in flight per broker, waiting for their answers (default 5, at most 5 idempotent). */
  maxInFlight?: number;
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

/** Idempotent-producer answers that say the broker refused the batch under this producer id / sequence. */
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const DUPLICATE_SEQUENCE_NUMBER = 46;
/** The broker no longer knows, or does not accept, this producer id/epoch: take a new one and try again. */
const NEW_PRODUCER_ID: ReadonlySet<number> = new Set([47, 49, 59]); // INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, UNKNOWN_PRODUCER_ID
const CLUSTER_AUTHORIZATION_FAILED = 31;
const MAX_IN_FLIGHT_IDEMPOTENT = 5;
// Produce request buffers kept for the next requests, each at least this large and at most the largest.
const MIN_FRAME_BYTES = 64 * 1024;
const MAX_SPARE_FRAME_BYTES = 8 * 1024 * 1024;

/** Writes to one broker in the order they were made, with at most `maxInFlight` waiting for answers. */
class BrokerLane {
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly maxInFlight: number) {}

  /** The turn of a request made now: resolves once the requests made before it were written. */
  turn(): { ready: Promise<void>; done: () => void } {
    const ready = this.tail;
    let done!: () => void;
    this.tail = new Promise((resolve) => {
      done = resolve;
    });
    return { ready, done };
  }

  async acquire(): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

/**
 * Produces records to topics. Each `send` groups its records by partition leader and sends one Produce request
 * per broker (the highest version both support, v3..v8), concurrently; partitions a broker refused retriably
 * (leader moved, connection lost, timeout) are sent again after a metadata refresh, up to `retryMax` times.
 * A refusal that cannot change (e.g. MESSAGE_TOO_LARGE) throws a KafkaError with Kafka's name for it in `type`.
 *
 * Idempotent by default (acks -1): every batch carries the producer id and its sequence numbers, the same on
 * each try, so a retry after a lost answer is not stored twice; up to 5 requests per broker are in flight,
 * written in sequence order, and a batch refused as out of order while an earlier one of its partition is
 * still being tried waits for that one and goes again.
 */
export class Producer {
  readonly cluster: Cluster;
  private readonly roundRobin = new Map<string, number>();
  /** Aborted by `close`: a send under way then stops instead of retrying on new connections. */
  private closing = new AbortController();

  private readonly idempotence: Idempotence | undefined;
  private readonly lanes = new Map<number, BrokerLane>();
  private readonly maxInFlight: number;
  /**
   * Buffers of Produce requests written and answered, for the next requests: a request of a few hundred KB
   * allocated afresh each time cost page faults, malloc and a GC's external-memory share on every send.
   */
  private readonly spareFrames: Buffer[] = [];

  constructor(private readonly options: ProducerOptions) {
    this.cluster = new Cluster(options);
    const acks = options.acks ?? -1;
    const idempotent = options.idempotent ?? acks === -1;
    if (idempotent && acks !== -1) {
      throw new KafkaClientError(
        `an idempotent producer needs acks -1 (all in-sync replicas), not ${acks}`,
        false,
      );
    }
    checkCodec(options.compression ?? 'none');
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT_IDEMPOTENT;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new KafkaClientError(`maxInFlight must be a positive integer, not ${this.maxInFlight}`, false);
    }
    if (idempotent && this.maxInFlight > MAX_IN_FLIGHT_IDEMPOTENT) {
      throw new KafkaClientError(
        `an idempotent producer keeps at most ${MAX_IN_FLIGHT_IDEMPOTENT} requests in flight per broker (the broker remembers 5 batches per producer), not ${this.maxInFlight}`,
        false,
      );
    }
    if (idempotent) this.idempotence = new Idempotence(() => this.initProducerId());
  }

  /** Whether batches carry a producer id and sequence numbers. */
  get idempotent(): boolean {
    return this.idempotence !== undefined;
  }

  /** Reaches the cluster (a bootstrap broker answers Metadata). */
  connect(): Promise<void> {
    return this.cluster.connect();
  }

  /**
   * Sends `records`; resolves once every one is acknowledged. `onDelivered` hears of each partition's records
   * as the broker acknowledges them, so a caller whose send failed in part knows what is stored already.
   */
  async send(
    records: readonly ProducerRecord[],
    onDelivered?: (records: readonly ProducerRecord[]) => void,
  ): Promise<void> {
    if (records.length === 0) return;
    const { signal } = this.closing;
    const retryMax = this.options.retryMax ?? 3;
    const topics = new Set<string>();
    let last: string | undefined;
    // Indexed: a for-of in an async function made an iterator result per record.
    for (let i = 0; i < records.length; i++) {
      const topic = (records[i] as ProducerRecord).topic;
      if (topic !== last) topics.add(topic);
      last = topic;
    }
    const idempotence = this.idempotence;
    let pending: PartitionBatch[] | undefined;
    let assigned: PartitionBatch[] = [];
    try {
      for (let attempt = 0; ; attempt++) {
        let error: KafkaClientError;
        try {
          if (attempt === 0) await this.cluster.ensureTopics(topics);
          else await this.cluster.refresh(topics);
          if (!pending) {
            await idempotence?.ready();
            pending = this.assign(records);
            assigned = pending;
            if (idempotence) for (const batch of pending) idempotence.stamp(batch);
          } else if (idempotence) {
            await Promise.all(pending.map((batch) => this.beforeRetry(idempotence, batch)));
          }
          if (signal.aborted) throw closedDuringSend();
          const failures = await this.produceOnce(pending);
          this.delivered(pending, failures, onDelivered);
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
    } catch (err) {
      // Batches given up leave their partitions' sequence numbers unknown to the broker: a new producer id.
      if (idempotence) for (const batch of pending ?? []) idempotence.reset(batch);
      throw err;
    } finally {
      if (idempotence) for (const batch of assigned) idempotence.settle(batch);
    }
  }

  /** Closes every connection; sends under way fail (and are not retried). The producer may be used again. */
  close(): Promise<void> {
    this.closing.abort();
    this.closing = new AbortController();
    return this.cluster.close();
  }

  /**
   * Before a batch goes again: under a producer id given up since, it takes new sequence numbers; else it
   * waits until the batches of its partition stamped before it settled, so tries reach the broker in order.
   */
  private async beforeRetry(idempotence: Idempotence, batch: PartitionBatch): Promise<void> {
    if (!idempotence.current(batch)) await idempotence.restamp(batch);
    else await idempotence.afterEarlier(batch);
  }

  /** Settles and reports the batches that did not fail. */
  private delivered(
    batches: PartitionBatch[],
    failures: Failure[],
    onDelivered: ((records: readonly ProducerRecord[]) => void) | undefined,
  ): void {
    const failed = new Set(failures.map((f) => f.batch));
    for (const batch of batches) {
      if (failed.has(batch)) continue;
      this.idempotence?.settle(batch);
      onDelivered?.(batch.records as ProducerRecord[]);
    }
  }

  /** InitProducerId on any broker: a producer id and epoch for an idempotent producer. */
  private async initProducerId(): Promise<ProducerIdentity> {
    const { clientId } = this.options;
    const answer = await this.cluster.withMetadataConnection((c) => {
      const version = c.versions.initProducerId;
      if (version === undefined) {
        throw new KafkaProtocolError(
          `broker ${c.address} does not support InitProducerId (needed by the idempotent producer; turn idempotence off for this broker)`,
        );
      }
      return c.request(initProducerIdRequest(clientId, version), parseInitProducerId);
    });
    if (answer.errorCode !== 0) {
      const hint =
        answer.errorCode === CLUSTER_AUTHORIZATION_FAILED
          ? 'the idempotent producer needs the IdempotentWrite permission on the cluster (or turn idempotence off)'
          : 'InitProducerId';
      throw new KafkaError(answer.errorCode, { message: hint });
    }
    return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
  }

  /** One batch per partition, records in the order given (so one key's records stay in order). */
  private assign(records: readonly ProducerRecord[]): PartitionBatch[] {
    const batches: PartitionBatch[] = [];
    const perTopic = new Map<string, (PartitionBatch | undefined)[]>();
    let topic: string | undefined;
    let info: TopicInfo | undefined;
    let slots: (PartitionBatch | undefined)[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as ProducerRecord;
      if (r.topic !== topic) {
        topic = r.topic;
        info = this.topicInfo(topic);
        slots = perTopic.get(topic) ?? [];
        perTopic.set(topic, slots);
      }
      const count = (info as TopicInfo).leaders.length;
      // A key's partition among one is 0: no hash.
      const partition =
        r.partition ??
        (r.key === null
          ? this.nextRoundRobin(topic, count)
          : count === 1
            ? 0
            : partitionForKey(r.key, count));
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

  private laneFor(leader: number): BrokerLane {
    let lane = this.lanes.get(leader);
    if (!lane) {
      lane = new BrokerLane(this.maxInFlight);
      this.lanes.set(leader, lane);
    }
    return lane;
  }

  private async produceTo(leader: number, batches: PartitionBatch[]): Promise<Failure[]> {
    const { clientId, requestTimeoutMs } = this.options;
    const acks = this.options.acks ?? -1;
    const lane = this.laneFor(leader);
    // The turn is taken now, before any await: requests reach the broker in the order their batches were
    // stamped, which is the order of their sequence numbers.
    const turn = lane.turn();
    let slot = false;
    try {
      await turn.ready;
      const connection = await this.cluster.connectionTo(leader);
      const version = connection.versions.produce ?? 3;
      const compression = this.options.compression ?? 'none';
      if (compression === 'zstd' && version < ZSTD_MIN_PRODUCE_VERSION) {
        throw new KafkaProtocolError(
          `zstd needs Produce v${ZSTD_MIN_PRODUCE_VERSION} (Kafka 2.1 or later); broker ${leader} supports up to v${version}`,
        );
      }
      let owned: Buffer | undefined;
      const frame = await produceRequest(
        batches,
        {
          clientId,
          version,
          acks,
          timeoutMs: this.options.produceTimeoutMs ?? requestTimeoutMs,
          compression,
        },
        (size) => {
          owned = this.frameBuffer(size);
          return owned;
        },
      );
      // Kept for the next request once the socket is done with it (and the answer is in): a request that
      // failed keeps its buffer to itself.
      const spare = () => {
        if (owned && frame.buffer === owned.buffer) this.keepFrame(owned);
      };
      await lane.acquire();
      slot = true;
      if (acks === 0) {
        const written = connection.send(frame);
        turn.done();
        await written;
        spare();
        return [];
      }
      let settled = 0;
      const answer = connection.request(
        frame,
        (r) => parseProduceResponse(r, version),
        undefined,
        (err) => {
          if (!err && ++settled === 2) spare();
        },
      );
      turn.done();
      const results = await answer;
      if (++settled === 2) spare();
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
          const error = this.batchError(batch, result.errorCode, result.message);
          if (error) failures.push({ batch, error });
        }
      }
      return failures;
    } catch (err) {
      if (!(err instanceof KafkaClientError)) throw err;
      this.options.logger?.debug({ broker: leader, error: err.message }, 'kafka produce request failed');
      return batches.map((batch) => ({ batch, error: err }));
    } finally {
      turn.done();
      if (slot) lane.release();
    }
  }

  /** A buffer of at least `size` bytes for a Produce request: a spare one, or a new one of its own. */
  private frameBuffer(size: number): Buffer {
    const spare = this.spareFrames.pop();
    if (spare && spare.length >= size) return spare;
    // Not from Buffer's shared pool: the buffer is reused whole.
    return Buffer.allocUnsafeSlow(Math.max(size, MIN_FRAME_BYTES));
  }

  private keepFrame(buf: Buffer): void {
    if (buf.length <= MAX_SPARE_FRAME_BYTES && this.spareFrames.length < this.maxInFlight) {
      this.spareFrames.push(buf);
    }
  }

  /**
   * What a partition's error code means for its batch; undefined when it is in fact delivered. For an
   * idempotent producer, as the Java client reads them: DUPLICATE_SEQUENCE_NUMBER is a batch stored before;
   * OUT_OF_ORDER_SEQUENCE_NUMBER while an earlier batch of the partition is still being tried is retriable
   * (the batch goes again after it); otherwise it, UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_ID_MAPPING and
   * INVALID_PRODUCER_EPOCH mean the broker refused the batch under this producer id: a new producer id, new
   * sequence numbers, and the batch goes again.
   */
  private batchError(
    batch: PartitionBatch,
    code: number,
    message: string | null,
  ): KafkaClientError | undefined {
    const context = { topic: batch.topic, partition: batch.partition, ...(message ? { message } : {}) };
    const idempotence = this.idempotence;
    if (!idempotence || !batch.producer) return new KafkaError(code, context);
    if (code === DUPLICATE_SEQUENCE_NUMBER) return undefined;
    if (code === OUT_OF_ORDER_SEQUENCE_NUMBER || NEW_PRODUCER_ID.has(code)) {
      if (code !== OUT_OF_ORDER_SEQUENCE_NUMBER || !idempotence.hasEarlier(batch)) idempotence.reset(batch);
      return new KafkaError(code, { ...context, retriable: true });
    }
    return new KafkaError(code, context);
  }
}

const CLOSED_DURING_SEND = 'the Kafka producer was closed during the send';

function closedDuringSend(cause?: KafkaClientError): KafkaConnectionError {
  if (cause instanceof KafkaConnectionError && cause.message === CLOSED_DURING_SEND) return cause;
  return new KafkaConnectionError(CLOSED_DURING_SEND, { cause });
}
