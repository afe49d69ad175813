// A Kafka producer client: RecordBatch v2 encoded straight into one Buffer per Produce request.
export { Cluster, type ClusterOptions, type TopicInfo } from './cluster.js';
export { CODEC, type Compression, compress } from './compression.js';
export { Connection, type ConnectionOptions } from './connection.js';
export { crc32c } from './crc32c.js';
export {
  errorInfo,
  KafkaClientError,
  KafkaConnectionError,
  KafkaError,
  KafkaProtocolError,
  KafkaTimeoutError,
} from './errors.js';
export { murmur2, partitionFor, partitionForKey } from './partitioner.js';
export { type KafkaLogger, Producer, type ProducerOptions, type ProducerRecord } from './producer.js';
export { encodeRecordBatch, type KafkaRecord, RecordHeaders } from './record-batch.js';
export { type SaslOptions, ScramSession } from './sasl.js';
