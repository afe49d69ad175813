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
 * Metadata v1..v8 for `topics` (an empty list asks for brokers only). From v4 the request says whether
 * missing topics may be created; before v4 the broker's auto.create.topics.enable alone decides.
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
    if (version >= 8) {
      w.int8(0); // include_cluster_authorized_operations
      w.int8(0); // include_topic_authorized_operations
    }
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
      if (version >= 7) p.int32(); // leader_epoch
      p.array((x) => x.int32()); // replica_nodes
      p.array((x) => x.int32()); // isr_nodes
      if (version >= 5) p.array((x) => x.int32()); // offline_replicas
      return partition;
    });
    if (version >= 8) t.int32(); // topic_authorized_operations
    return { errorCode, name, partitions };
  });
  if (version >= 8) r.int32(); // cluster_authorized_operations
  return { brokers, topics };
}
