import type { KafkaTarget } from '@switchyard/config';

/** Kafka sink settings for tests against `brokers` (defaults as the settings schema's), `overrides` on top. */
export function kafkaTarget(brokers: string[], overrides: Partial<KafkaTarget> = {}): KafkaTarget {
  return {
    brokers,
    topic: 'events',
    compression: 'none',
    retry_max: 3,
    acks: -1,
    idempotent: true,
    client_id: 'switchyard-test',
    timeout_ms: 10_000,
    max_message_bytes: 1_000_000,
    ...overrides,
  };
}
