import type { Logger } from '@switchyard/shared';
import type { Consumer } from 'kafkajs';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { Handoff } from '../handoff.js';
import { brokerUnavailable, Link } from '../link.js';

/** kafkajs is loaded on the first kafka:// subscription only: a gateway without one never pays for it. */
let kafkajs: Promise<typeof import('kafkajs')> | undefined;
const loadKafkajs = () => {
  kafkajs ??= import('kafkajs').then((m) => (m as { default?: typeof import('kafkajs') }).default ?? m);
  return kafkajs;
};

/** Sarama's session timeout and heartbeat interval, as gocloud's kafkapubsub consumer runs with. */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 3_000;
/** kafkajs's pacing of a failed connect (its default tries for about 10 s): a request learns sooner. */
const RETRY = { retries: 2, initialRetryTime: 100 };
const CONNECT_TIMEOUT_MS = 3_000;
/** Fetched bytes the consumer holds at most while requests read one message at a time. */
const MAX_FETCH_BYTES = 1024 * 1024;

export interface KafkaSubscriptionOptions {
  brokers: readonly string[];
  group: string;
  topics: readonly string[];
  /** gocloud's `offset=oldest`: a group with no committed offset starts at the oldest record, else the newest. */
  oldest: boolean;
}

/**
 * `kafka://group?topic=T[&topic=U][&offset=oldest|newest]` subscriber (gocloud kafkapubsub): one kafkajs
 * consumer in the group, shared by the endpoint's requests. Each request takes one record's value; a record's
 * offset is committed once a request took it, and the consumer reads no further than requests do (one record
 * offered at a time, one fetch of at most 1 MiB buffered), so a topic of any length costs the gateway that much.
 */
export class KafkaSubscription {
  private readonly link: Link<Consumer>;
  private readonly handoff = new Handoff<Buffer>();
  private closing = false;

  constructor(
    private readonly o: KafkaSubscriptionOptions,
    private readonly logger: Logger,
  ) {
    this.link = new Link(
      `kafka://${o.group}?topic=${o.topics.join(',')}`,
      () => this.open(),
      (consumer) => consumer.disconnect(),
    );
    this.link.start();
  }

  get what(): string {
    return this.link.what;
  }

  async take(scope: Scope): Promise<Buffer> {
    await abortable(this.link.get(), scope);
    return this.handoff.take(scope);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.handoff.fail(brokerUnavailable(this.what, new Error('closed')));
    await this.link.close();
  }

  private async open(): Promise<Consumer> {
    const { Kafka, logLevel } = await loadKafkajs();
    const kafka = new Kafka({
      clientId: `switchyard-gateway-${process.pid}`,
      brokers: [...this.o.brokers],
      connectionTimeout: CONNECT_TIMEOUT_MS,
      retry: RETRY,
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) =>
        this.logger.warn(
          { group: this.o.group, kafkajs: entry.namespace, err: entry.log.message },
          'Kafka consumer',
        ),
    });
    const consumer = kafka.consumer({
      groupId: this.o.group,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_MS,
      maxBytes: MAX_FETCH_BYTES,
      maxBytesPerPartition: MAX_FETCH_BYTES,
    });
    // A crash kafkajs does not restart from ends this consumer: the next request opens a new one.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.link.lost(consumer);
      this.handoff.fail(brokerUnavailable(this.what, payload.error));
      void consumer.disconnect().catch(() => {});
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.o.topics], fromBeginning: this.o.oldest });
      await consumer.run({
        // Offsets are resolved by hand, one per record a request took, and committed as each is.
        eachBatchAutoResolve: false,
        autoCommitThreshold: 1,
        eachBatch: async ({
          batch,
          resolveOffset,
          commitOffsetsIfNecessary,
          heartbeat,
          isRunning,
          isStale,
        }) => {
          for (const message of batch.messages) {
            if (this.closing || !isRunning() || isStale()) return;
            if (!(await this.hand(message.value ?? Buffer.alloc(0), heartbeat))) return;
            resolveOffset(message.offset);
            await commitOffsetsIfNecessary();
          }
        },
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw err;
    }
    return consumer;
  }

  /**
   * Offers one record's value until a request takes it (true), heartbeating meanwhile. A heartbeat that
   * fails (the group is rebalancing) or the subscription closing gives the record up (false): the batch ends
   * with it unresolved, so kafkajs rejoins or leaves the group cleanly and the group reads it again.
   */
  private async hand(value: Buffer, heartbeat: () => Promise<void>): Promise<boolean> {
    const timer = setInterval(() => {
      heartbeat().catch((err: Error) => this.handoff.withdraw(value, err));
    }, HEARTBEAT_MS);
    try {
      await this.handoff.offer(value);
      return true;
    } catch {
      return false;
    } finally {
      clearInterval(timer);
    }
  }
}
