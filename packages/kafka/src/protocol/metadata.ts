import type { Reader } from './reader.js';
import { ApiKey, request } from './request.js';

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  errorCode: number;
  partition: number;
  leader: number;
}

export interface TopicMetadata {
  errorCode: number;
  name: string;
  partitions: PartitionMetadata[];
}

export interface Metadata {
  brokers: BrokerMetadata[];
  topics: TopicMetadata[];
}

/**
 * Metadata v1..v4 for `topics` (an empty list asks for brokers only). v4 says whether missing topics may be
 * created; before v4 the broker's auto.create.topics.enable alone decides.
 */
export function metadataRequest(
  clientId: string,
  version: number,
  topics: readonly string[],
  autoCreate: boolean,
): Buffer {
  return request(ApiKey.Metadata, version, clientId, (w) => {
    w.int32(topics.length);
    for (const topic of topics) w.string(topic);
    if (version >= 4) w.int8(autoCreate ? 1 : 0);
  });
}

export function parseMetadata(r: Reader, version: number): Metadata {
  if (version >= 3) r.int32(); // throttle_time_ms
  const brokers = r.array((b) => {
    const broker = { nodeId: b.int32(), host: b.string(), port: b.int32() };
    b.nullableString(); // rack
    return broker;
  });
  if (version >= 2) r.nullableString(); // cluster_id
  r.int32(); // controller_id
  const topics = r.array((t) => {
    const errorCode = t.int16();
    const name = t.string();
    t.bool(); // is_internal
    const partitions = t.array((p) => {
      const partition = { errorCode: p.int16(), partition: p.int32(), leader: p.int32() };
      p.array((x) => x.int32()); // replica_nodes
      p.array((x) => x.int32()); // isr_nodes
      return partition;
    });
    return { errorCode, name, partitions };
  });
  return { brokers, topics };
}
