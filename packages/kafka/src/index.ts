// @switchyard/kafka: a Kafka producer client. RecordBatch v2 encoded straight into one Buffer per Produce
// request; idempotent by default. The public API is the producer, its records and its errors.
export type { Compression } from './compression.js';
export {
  errorInfo,
  KafkaClientError,
  KafkaConnectionError,
  KafkaError,
  KafkaProtocolError,
  KafkaTimeoutError,
} from './errors.js';
export { OAuthToken, type OAuthTokenOptions, type OAuthTokenSource } from './oauth-token.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { type KafkaLogger, Producer, type ProducerOptions, type ProducerRecord } from './producer.js';
export { encodeRecordBatch, type KafkaRecord, RecordHeaders } from './record-batch.js';
export type { SaslOptions } from './sasl.js';
