import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaPartitioner, murmur2 } from '../src/sinks/kafka-partitioner.js';
import { sampleEvents } from './support/sample-events.js';

const { Partitioners } = kafkajs;

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: i % 3,
    replicas: [i % 3],
    isr: [i % 3],
  }));

/** Deterministic pseudo-random bytes (xorshift), so a failure names a reproducible key. */
function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('kafka partitioner', () => {
  const keys: (string | Buffer)[] = [
    '',
    'a',
    'ab',
    'abc',
    'abcd',
    'node-123',
    'ключ-ü-🙂',
    ...sampleEvents(40).map((e) => e.id),
    ...Array.from({ length: 200 }, (_, i) => bytes(i + 1, i % 41)),
  ];

  it('puts every keyed record on the partition kafkajs’ Java-compatible partitioner picks', () => {
    const ours = javaPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const n of [1, 2, 3, 7, 12, 64]) {
      const partitionMetadata = partitions(n);
      for (const key of keys) {
        const args = { topic: 'events', partitionMetadata, message: { key, value: 'x' } };
        expect(ours(args), `key ${JSON.stringify(key)}, ${n} partitions`).toBe(theirs(args));
      }
    }
  });

  it('computes Kafka’s murmur2 as a signed 32-bit value, with every tail length mixed in', () => {
    const hashes = new Set<number>();
    for (let length = 0; length <= 8; length++) {
      const h = murmur2(bytes(7, length));
      expect(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31).toBe(true);
      hashes.add(h);
    }
    expect(hashes.size).toBe(9);
  });

  it('leaves records with an explicit partition or without a key to kafkajs’ rules', () => {
    const partitioner = javaPartitioner();
    const partitionMetadata = partitions(5);
    expect(
      partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: 'x', partition: 4 } }),
    ).toBe(4);
    const unkeyed = new Set<number>();
    for (let i = 0; i < 20; i++)
      unkeyed.add(partitioner({ topic: 't', partitionMetadata, message: { value: 'x' } }));
    // Round-robin over the partitions, as kafkajs spreads records without a key.
    expect(unkeyed.size).toBe(5);
  });
});
