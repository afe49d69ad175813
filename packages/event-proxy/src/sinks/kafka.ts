import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { KafkaTarget } from '@switchyard/config';
import {
  KafkaClientError,
  KafkaError,
  KafkaTimeoutError,
  OAuthToken,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  RecordHeaders,
  type SaslOptions,
} from '@switchyard/kafka';
import { type Envelope, type Logger, SwitchyardError } from '@switchyard/shared';
import { eventJson } from '../pipeline/event-json.js';
import { serializedOf } from '../pipeline/serialized-envelope.js';
import type { Rejected, SendResult, Sink, SinkRetryListener } from './sink.js';

// Bytes a record and a record batch add around key + value + headers (Kafka message format v2, upper bounds).
const RECORD_OVERHEAD = 32;
const BATCH_OVERHEAD = 61;
const HEADER_NAME = 'event_type';

// Broker answers that say "these records will never be accepted as they are", per Kafka's error table.
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

// Ids of events Kafka acknowledged in a send that failed as a whole: the pipeline sends them again, and they
// are skipped then instead of stored twice. Bounded: past it the oldest are forgotten (a duplicate at worst).
const DELIVERED_MEMORY = 100_000;

// One encoded `event_type` header per type, shared by every record of that type.
const typeHeaders = new Map<string, RecordHeaders>();

/** One event as the record the producer sends, with what the sink needs to report on it. */
interface Prepared extends ProducerRecord {
  event: Envelope;
  bytes: number;
}

export interface KafkaSinkDeps {
  logger: Logger;
  onRetry?: SinkRetryListener;
}

/** The partition key: one request's events share a partition (so stay ordered); other events go by node. */
export function kafkaMessageKey(event: Envelope): string {
  if (event.event_type !== 'request' && event.event_type !== 'response') return event.kong_node_id;
  // Carried beside the bytes of an event that arrived serialised: its data is never parsed for the key.
  return serializedOf(event)?.requestId ?? event.data.request_id;
}

export function kafkaTopic(template: string, event: Envelope): string {
  return template.replaceAll('{event_type}', event.event_type);
}

/**
 * Produces each event as one JSON record (key per `kafkaMessageKey`, header `event_type`). `send` resolves once
 * every record is acknowledged with the configured acks (all in-sync replicas by default).
 *
 * Records are keyed and partitioned as the Java client does (murmur2), so keys land where other Kafka clients
 * would put them. The producer is idempotent by default (`idempotent`, with acks all): a batch retried after
 * a lost answer is stored once. Delivery as a whole stays at-least-once (a send that failed is sent again by
 * the pipeline, under new sequence numbers), and every envelope carries a unique `id` for consumers.
 */
export function createKafkaSink(settings: KafkaTarget, deps: KafkaSinkDeps): Sink {
  const logger = deps.logger.child({ sink: 'kafka' });
  const producer = newProducer(producerOptions(settings, logger, deps.onRetry));
  let connected = false;
  let healthy = false;
  let connecting: Promise<void> | undefined;
  const deliveredBefore = new Set<string>();
  /**
   * Takes the records the broker stored in a send that then failed into `deliveredBefore`. Only a failure
   * reads them: a send that succeeds (nearly every one) costs no set operation per record.
   */
  const remember = (stored: (readonly ProducerRecord[])[]) => {
    for (const records of stored) for (const r of records) deliveredBefore.add((r as Prepared).event.id);
    stored.length = 0;
    for (const id of deliveredBefore) {
      if (deliveredBefore.size <= DELIVERED_MEMORY) break;
      deliveredBefore.delete(id);
    }
  };
  // The topic of each event type, made once rather than per record.
  const topics = new Map<string, string>();

  const connect = (): Promise<void> => {
    connecting ??= producer
      .connect()
      .then(() => {
        connected = true;
        healthy = true;
      })
      .catch((err: unknown) => {
        throw toSinkError(err, 'connect');
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  };

  /**
   * Sends one request's records; on a per-record refusal, halves the request to find the records at fault.
   * `stored` collects the partitions' records the broker acknowledged, until a failure remembers them.
   */
  const deliver = async (
    items: Prepared[],
    rejected: Rejected[],
    stored: (readonly ProducerRecord[])[],
  ): Promise<void> => {
    try {
      await producer.send(items, (records) => stored.push(records));
    } catch (err) {
      remember(stored);
      const type = kafkaErrorType(err);
      if (type === 'INVALID_TOPIC_EXCEPTION' && new Set(items.map((i) => i.topic)).size === 1) {
        for (const item of items)
          rejected.push({ event: item.event, reason: `kafka: invalid topic "${item.topic}"` });
        return;
      }
      if (type === undefined || !(RECORD_ERRORS.has(type) || type === 'INVALID_TOPIC_EXCEPTION')) {
        throw toSinkError(err, 'produce');
      }
      // The partitions the broker took are stored: only the rest is tried again, halved to find the culprit.
      const rest = items.filter((i) => !deliveredBefore.has(i.event.id));
      const [only] = rest;
      if (rest.length === 1 && only) {
        rejected.push({ event: only.event, reason: `kafka: ${type} (${only.bytes} bytes)` });
        return;
      }
      const half = Math.ceil(rest.length / 2);
      await deliver(rest.slice(0, half), rejected, stored);
      await deliver(rest.slice(half), rejected, stored);
    }
  };

  const topicOf = (event: Envelope): string => {
    let topic = topics.get(event.event_type);
    if (topic === undefined) {
      topic = kafkaTopic(settings.topic, event);
      topics.set(event.event_type, topic);
    }
    return topic;
  };

  return {
    name: 'kafka',
    start: connect,
    ready: () => connected && healthy,

    async send(batch: readonly Envelope[]): Promise<SendResult> {
      if (!connected) await connect();
      const rejected: Rejected[] = [];
      // Sized once (and cut to what it got): pushing grew it step by step, a copy each time.
      const prepared: Prepared[] = new Array(batch.length);
      let count = 0;
      const skipped: string[] = [];
      const retry = deliveredBefore.size > 0;
      // Indexed: a for-of in an async function made an iterator result per event.
      for (let i = 0; i < batch.length; i++) {
        const event = batch[i] as Envelope;
        // Stored by an earlier send of this batch that failed in part; kept in mind until this one succeeds,
        // as the pipeline may send the batch again more than once.
        if (retry && deliveredBefore.has(event.id)) {
          skipped.push(event.id);
          continue;
        }
        const item = prepare(event, topicOf(event));
        if (typeof item === 'string') rejected.push({ event, reason: item });
        else if (item.bytes + BATCH_OVERHEAD > settings.max_message_bytes) {
          rejected.push({
            event,
            reason: `kafka: record of ${item.bytes} bytes is over max_message_bytes (${settings.max_message_bytes})`,
          });
        } else prepared[count++] = item;
      }
      prepared.length = count;
      const stored: (readonly ProducerRecord[])[] = [];
      try {
        // Sequential requests keep one key's records in order; each stays under the broker's batch limit.
        for (const request of splitBySize(prepared, settings.max_message_bytes - BATCH_OVERHEAD)) {
          await deliver(request, rejected, stored);
        }
      } catch (err) {
        // What earlier requests of this send stored is not sent again with the batch.
        remember(stored);
        healthy = false;
        throw err;
      }
      // Every record of this send is stored: none of them needs remembering for a send again.
      if (deliveredBefore.size > 0) {
        for (const item of prepared) deliveredBefore.delete(item.event.id);
        for (const id of skipped) deliveredBefore.delete(id);
      }
      healthy = true;
      return { rejected };
    },

    async close(): Promise<void> {
      connected = false;
      await producer.close();
    },
  };
}

function prepare(event: Envelope, topic: string): Prepared | string {
  let value: Buffer;
  try {
    // Made once for the queue, the spool and here.
    value = eventJson(event);
  } catch (err) {
    return `kafka: event cannot be serialized: ${(err as Error).message}`;
  }
  const key = kafkaMessageKey(event);
  const type = event.event_type;
  let headers = typeHeaders.get(type);
  if (!headers) {
    headers = new RecordHeaders({ [HEADER_NAME]: type });
    typeHeaders.set(type, headers);
  }
  const bytes = value.length + Buffer.byteLength(key) + HEADER_NAME.length + type.length + RECORD_OVERHEAD;
  return { event, topic, key, value, headers, bytes };
}

/** Consecutive runs of records whose sizes sum to at most `max` (a partition's share never exceeds its request). */
function splitBySize(items: Prepared[], max: number): Prepared[][] {
  let total = 0;
  for (let i = 0; i < items.length; i++) total += (items[i] as Prepared).bytes;
  // Nearly every batch is one request: no copy of it.
  if (total <= max) return items.length > 0 ? [items] : [];
  const requests: Prepared[][] = [];
  let current: Prepared[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > max) {
      requests.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** The producer, or a settings error saying why these settings cannot make one (e.g. zstd on Node.js 20). */
function newProducer(options: ProducerOptions): Producer {
  try {
    return new Producer(options);
  } catch (err) {
    if (!(err instanceof KafkaClientError)) throw err;
    throw new SwitchyardError('SWY_CONFIG_INVALID', `target.kafka: ${err.message}`, { cause: err });
  }
}

function producerOptions(
  settings: KafkaTarget,
  logger: Logger,
  onRetry: SinkRetryListener | undefined,
): ProducerOptions {
  const options: ProducerOptions = {
    brokers: settings.brokers,
    clientId: settings.client_id,
    requestTimeoutMs: settings.timeout_ms,
    connectTimeoutMs: Math.min(settings.timeout_ms, 10_000),
    produceTimeoutMs: settings.timeout_ms,
    allowAutoTopicCreation: true,
    acks: settings.acks,
    // Idempotence needs acks all; with fewer acks the setting has nothing to apply to (as the Java client's
    // default does).
    idempotent: settings.idempotent && settings.acks === -1,
    compression: settings.compression,
    retryMax: settings.retry_max,
    // Each failed attempt is a warning: the sink reports the outcome.
    logger,
    onRetry,
  };
  if (settings.sasl) options.sasl = saslOptions(settings.sasl);
  if (settings.tls?.enabled) {
    const tls = settings.tls;
    const secure: TlsOptions = { rejectUnauthorized: tls.reject_unauthorized };
    if (tls.ca_file) secure.ca = [readSetting('tls.ca_file', tls.ca_file)];
    if (tls.cert_file) secure.cert = readSetting('tls.cert_file', tls.cert_file);
    if (tls.key_file) secure.key = readSetting('tls.key_file', tls.key_file);
    options.tls = secure;
  }
  return options;
}

/** The schema makes sure each mechanism has what it needs: user and password, or one token source. */
function saslOptions(sasl: NonNullable<KafkaTarget['sasl']>): SaslOptions {
  const { mechanism, username = '', password = '', token_file, token_command } = sasl;
  if (mechanism !== 'oauthbearer') return { mechanism, username, password };
  const source = token_file ? { file: token_file } : { command: token_command ?? '' };
  return { mechanism, token: new OAuthToken(source).get };
}

function readSetting(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_READ', `target.kafka.${name}: cannot read ${path}`, { cause: err });
  }
}

/** The Kafka error name (e.g. MESSAGE_TOO_LARGE) of a broker's refusal, if that is what failed. */
function kafkaErrorType(err: unknown): string | undefined {
  for (const e of causes(err)) if (e instanceof KafkaError) return e.type;
  return undefined;
}

function* causes(err: unknown): Generator<object> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

function toSinkError(err: unknown, action: string): SwitchyardError {
  const chain = [...causes(err)];
  const timedOut = chain.some(
    (e) => e instanceof KafkaTimeoutError || (e instanceof KafkaError && e.type === 'REQUEST_TIMED_OUT'),
  );
  const root = chain.at(-1) as Error | undefined;
  const type = kafkaErrorType(err);
  return new SwitchyardError(
    timedOut ? 'SWY_SINK_TIMEOUT' : 'SWY_SINK_UNAVAILABLE',
    `kafka ${action} failed: ${root?.message ?? String(err)}`,
    { cause: err, details: { sink: 'kafka', ...(type && { kafka_error: type }) } },
  );
}
