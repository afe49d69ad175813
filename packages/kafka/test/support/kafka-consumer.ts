import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { registerCodecs } from './cli-codecs.js';

const { Kafka, logLevel } = kafkajs;
registerCodecs();

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

const client = (bootstrap: string) =>
  new Kafka({
    clientId: 'switchyard-test-consumer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  });

/** How many records the topics hold (sum of partition high watermarks): proves nothing extra was written. */
export async function countRecords(bootstrap: string, topics: string[]): Promise<number> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** The partition leader's broker id (1-based, as the harness numbers them). */
export async function partitionLeader(bootstrap: string, topic: string, partition: number): Promise<number> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const leader = meta?.partitions.find((p) => p.partitionId === partition)?.leader;
    if (leader === undefined) throw new Error(`no leader for ${topic}/${partition}`);
    return leader;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the topics from the beginning with a fresh consumer group until `count` records arrived (rejects after
 * `timeoutMs` with how many did). Values are parsed as JSON.
 */
export async function readRecords(
  bootstrap: string,
  topics: string[],
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const consumer = client(bootstrap).consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${count} records from ${topics.join(',')}`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
            records.push({
              topic,
              partition,
              offset: Number(message.offset),
              key: message.key?.toString() ?? null,
              value: JSON.parse(message.value?.toString() ?? 'null'),
              headers,
            });
            if (records.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return records;
  } finally {
    await consumer.disconnect();
  }
}
