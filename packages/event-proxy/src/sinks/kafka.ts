import { readFileSync } from 'node:fs';
import type { KafkaTarget } from '@switchyard/config';
import { type Envelope, type Logger, SwitchyardError } from '@switchyard/shared';
import kafkajs, {
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { eventJson } from '../pipeline/event-json.js';
import { javaPartitioner } from './kafka-partitioner.js';
import type { Rejected, SendResult, Sink } from './sink.js';

const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = kafkajs;

// kafkajs ships without a snappy codec; registering it once makes `compression: snappy` work everywhere.
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
} as const;

// Bytes a record and a record batch add around key + value + headers (Kafka message format v2, upper bounds).
const RECORD_OVERHEAD = 32;
const BATCH_OVERHEAD = 61;
const HEADER_NAME = 'event_type';

// Broker answers that say "these records will never be accepted as they are", per Kafka's error table.
const RECORD_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);
const TIMEOUT_ERRORS = new Set(['KafkaJSRequestTimeoutError', 'KafkaJSTimeout', 'KafkaJSLockTimeout']);

interface Prepared {
  event: Envelope;
  topic: string;
  message: Message;
  bytes: number;
}

export interface KafkaSinkDeps {
  logger: Logger;
}

/** The partition key: one request's events share a partition (so stay ordered); other events go by node. */
export function kafkaMessageKey(event: Envelope): string {
  return event.event_type === 'request' || event.event_type === 'response'
    ? event.data.request_id
    : event.kong_node_id;
}

export function kafkaTopic(template: string, event: Envelope): string {
  return template.replaceAll('{event_type}', event.event_type);
}

/**
 * Produces each event as one JSON record (key per `kafkaMessageKey`, header `event_type`). `send` resolves once
 * every record is acknowledged with the configured acks (all in-sync replicas by default).
 *
 * Not an idempotent producer: kafkajs then caps in-flight requests at one and needs InitProducerId (which
 * librdkafka's mock cluster cannot serve), while delivery is at-least-once anyway and every envelope carries a
 * unique `id` for consumers to drop duplicates.
 */
export function createKafkaSink(settings: KafkaTarget, deps: KafkaSinkDeps): Sink {
  const logger = deps.logger.child({ sink: 'kafka' });
  const kafka = new Kafka(clientConfig(settings, logger));
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: true,
    // Java's murmur2 partitioner, so keys land where other Kafka clients would put them.
    createPartitioner: javaPartitioner,
    retry: { retries: settings.retry_max },
  });
  const compression = COMPRESSION[settings.compression];
  let connected = false;
  let healthy = false;
  let connecting: Promise<void> | undefined;

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

  /** Sends one request's records; on a per-record refusal, halves the request to find the records at fault. */
  const deliver = async (items: Prepared[], rejected: Rejected[]): Promise<void> => {
    try {
      await producer.sendBatch({
        topicMessages: byTopic(items),
        acks: settings.acks,
        timeout: settings.timeout_ms,
        compression,
      });
    } catch (err) {
      const type = kafkaErrorType(err);
      if (type === 'INVALID_TOPIC_EXCEPTION' && new Set(items.map((i) => i.topic)).size === 1) {
        for (const item of items)
          rejected.push({ event: item.event, reason: `kafka: invalid topic "${item.topic}"` });
        return;
      }
      if (type === undefined || !(RECORD_ERRORS.has(type) || type === 'INVALID_TOPIC_EXCEPTION')) {
        throw toSinkError(err, 'produce');
      }
      const [only] = items;
      if (items.length === 1 && only) {
        rejected.push({ event: only.event, reason: `kafka: ${type} (${only.bytes} bytes)` });
        return;
      }
      // Records of the other half may already be stored: a duplicate, which at-least-once allows.
      const half = Math.ceil(items.length / 2);
      await deliver(items.slice(0, half), rejected);
      await deliver(items.slice(half), rejected);
    }
  };

  return {
    name: 'kafka',
    start: connect,
    ready: () => connected && healthy,

    async send(batch: readonly Envelope[]): Promise<SendResult> {
      if (!connected) await connect();
      const rejected: Rejected[] = [];
      const prepared: Prepared[] = [];
      for (const event of batch) {
        const item = prepare(event, settings.topic);
        if (typeof item === 'string') rejected.push({ event, reason: item });
        else if (item.bytes + BATCH_OVERHEAD > settings.max_message_bytes) {
          rejected.push({
            event,
            reason: `kafka: record of ${item.bytes} bytes is over max_message_bytes (${settings.max_message_bytes})`,
          });
        } else prepared.push(item);
      }
      try {
        // Sequential requests keep one key's records in order; each stays under the broker's batch limit.
        for (const request of splitBySize(prepared, settings.max_message_bytes - BATCH_OVERHEAD)) {
          await deliver(request, rejected);
        }
      } catch (err) {
        healthy = false;
        throw err;
      }
      healthy = true;
      return { rejected };
    },

    async close(): Promise<void> {
      connected = false;
      await producer.disconnect();
    },
  };
}

function prepare(event: Envelope, topicTemplate: string): Prepared | string {
  let value: Buffer;
  try {
    // Bytes, so kafkajs does not encode the text again; made once for the queue, the spool and here.
    value = eventJson(event);
  } catch (err) {
    return `kafka: event cannot be serialized: ${(err as Error).message}`;
  }
  const key = kafkaMessageKey(event);
  const message: Message = { key, value, headers: { [HEADER_NAME]: event.event_type } };
  const bytes =
    value.length + Buffer.byteLength(key) + HEADER_NAME.length + event.event_type.length + RECORD_OVERHEAD;
  return { event, topic: kafkaTopic(topicTemplate, event), message, bytes };
}

/** Consecutive runs of records whose sizes sum to at most `max` (a partition's share never exceeds its request). */
function splitBySize(items: Prepared[], max: number): Prepared[][] {
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

function byTopic(items: Prepared[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const item of items) {
    const messages = topics.get(item.topic);
    if (messages) messages.push(item.message);
    else topics.set(item.topic, [item.message]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function clientConfig(settings: KafkaTarget, logger: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.client_id,
    brokers: settings.brokers,
    requestTimeout: settings.timeout_ms,
    connectionTimeout: Math.min(settings.timeout_ms, 10_000),
    retry: { retries: settings.retry_max },
    logLevel: logger.isLevelEnabled('debug') ? logLevel.DEBUG : logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafkajs(logger, entry),
  };
  if (settings.sasl) {
    config.sasl = saslOptions(settings.sasl);
  }
  if (settings.tls?.enabled) {
    const tls = settings.tls;
    config.ssl = {
      rejectUnauthorized: tls.reject_unauthorized,
      ...(tls.ca_file && { ca: [readSetting('tls.ca_file', tls.ca_file)] }),
      ...(tls.cert_file && { cert: readSetting('tls.cert_file', tls.cert_file) }),
      ...(tls.key_file && { key: readSetting('tls.key_file', tls.key_file) }),
    };
  }
  return config;
}

// kafkajs types SASL options per mechanism; the switch narrows our union onto theirs.
function saslOptions({ mechanism, username, password }: NonNullable<KafkaTarget['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

function readSetting(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_READ', `target.kafka.${name}: cannot read ${path}`, { cause: err });
  }
}

// kafkajs reports every failed attempt as an error; the sink reports the outcome, so these are warnings.
function logKafkajs(logger: Logger, { level, namespace, log }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, ...fields } = log;
  const line = { kafkajs: namespace, ...fields };
  if (level <= logLevel.WARN) logger.warn(line, message);
  else logger.debug(line, message);
}

/** The Kafka error name (e.g. MESSAGE_TOO_LARGE) behind kafkajs' wrappers, if any. */
function kafkaErrorType(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

function* causes(err: unknown): Generator<object> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    yield current;
    const next = (current as { cause?: unknown; originalError?: unknown }).cause;
    current = next ?? (current as { originalError?: unknown }).originalError;
  }
}

function toSinkError(err: unknown, action: string): SwitchyardError {
  const chain = [...causes(err)];
  const timedOut = chain.some((e) => TIMEOUT_ERRORS.has((e as Error).name));
  const root = chain.at(-1) as Error | undefined;
  const type = kafkaErrorType(err);
  return new SwitchyardError(
    timedOut ? 'SWY_SINK_TIMEOUT' : 'SWY_SINK_UNAVAILABLE',
    `kafka ${action} failed: ${root?.message ?? String(err)}`,
    { cause: err, details: { sink: 'kafka', ...(type && { kafka_error: type }) } },
  );
}
