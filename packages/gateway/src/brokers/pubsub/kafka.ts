import type { Producer } from '@switchyard/kafka';
import { SwitchyardError } from '@switchyard/shared';
import { FAILURE_STATUS } from '../../errors/status.js';
import type { Scope } from '../../pipeline/scope.js';
import { abortable } from '../abortable.js';
import { brokerUnavailable } from '../link.js';

const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Retries of a retriable failure; a request's own timeout usually ends the wait first. */
const RETRY_MAX = 2;

type KafkaLib = typeof import('@switchyard/kafka');

/** The Kafka client (and its native lz4 binding) is loaded by the first kafka:// publisher only. */
let kafkaLib: Promise<KafkaLib> | undefined;
const loadKafka = () => {
  kafkaLib ??= import('@switchyard/kafka');
  return kafkaLib;
};

/** A producer and the module it is from (its RecordHeaders, its error classes). */
export interface KafkaClient {
  lib: KafkaLib;
  producer: Producer;
}

/** gocloud's KAFKA_BROKERS: a comma-separated host:port list, each trimmed. */
export function kafkaBrokers(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/** A use of a shared producer, and its release. */
export interface KafkaUse {
  client: Promise<KafkaClient>;
  release(): Promise<void>;
}

interface Shared {
  client: Promise<KafkaClient>;
  users: number;
}

/**
 * One idempotent producer per broker list, shared by every kafka:// publisher naming it (the client keeps
 * one connection per broker and reconnects on the next send). The last publisher's release closes it, so a
 * reload that drops a broker list drops its connections too.
 */
export class KafkaProducers {
  private readonly byBrokers = new Map<string, Shared>();

  acquire(brokers: readonly string[]): KafkaUse {
    const key = brokers.join(',');
    let shared = this.byBrokers.get(key);
    if (!shared) {
      const client = loadKafka().then((lib) => ({
        lib,
        producer: new lib.Producer({
          brokers,
          clientId: `switchyard-gateway-${process.pid}`,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          retryMax: RETRY_MAX,
        }),
      }));
      // A failed load is the request's error (SWY_BROKER_UNAVAILABLE), not an unhandled rejection.
      client.catch(() => {});
      shared = { client, users: 0 };
      this.byBrokers.set(key, shared);
    }
    const used = shared;
    used.users++;
    let released = false;
    return {
      client: used.client,
      release: async () => {
        if (released) return;
        released = true;
        if (--used.users > 0) return;
        if (this.byBrokers.get(key) === used) this.byBrokers.delete(key);
        await close(used.client);
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.byBrokers.values()];
    this.byBrokers.clear();
    await Promise.all(all.map((s) => close(s.client)));
  }
}

const close = (client: Promise<KafkaClient>) => client.then((k) => k.producer.close()).catch(() => {});

/**
 * `kafka://topic[?key_name=K]` publisher: the body as the record value, the metadata as record headers
 * (the `key_name` entry, when present, as the record key instead, as gocloud's kafkapubsub does); answered
 * once the broker acknowledged the record (acks all, idempotent).
 */
export class KafkaTopic {
  private readonly client: Promise<KafkaClient>;

  constructor(
    private readonly use: KafkaUse,
    private readonly topic: string,
    private readonly keyName: string | undefined,
  ) {
    this.client = use.client;
  }

  get what(): string {
    return `kafka://${this.topic}`;
  }

  async send(scope: Scope, body: Buffer, metadata: Record<string, string>): Promise<void> {
    let key: string | null = null;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (k === this.keyName) key = v;
      else headers[k] = v;
    }
    const sent = this.client.then(
      ({ lib, producer }) =>
        producer
          .send([{ topic: this.topic, key, value: body, headers: new lib.RecordHeaders(headers) }])
          .catch((err: unknown) => {
            throw this.failure(lib, err);
          }),
      (err: unknown) => {
        throw brokerUnavailable(this.what, err);
      },
    );
    await abortable(sent, scope);
  }

  close(): Promise<void> {
    return this.use.release();
  }

  /** A refusal that cannot change (MESSAGE_TOO_LARGE, …) is the broker's; anything retriable is the link's. */
  private failure(lib: KafkaLib, err: unknown): Error {
    if (err instanceof lib.KafkaClientError && !err.retriable)
      return new SwitchyardError('SWY_BROKER_REJECTED', `${this.what}: the broker refused the message`, {
        status: FAILURE_STATUS.SWY_BROKER_REJECTED,
        details: { broker: this.what, kafka_error: err.message },
        cause: err,
      });
    return brokerUnavailable(this.what, err);
  }
}
