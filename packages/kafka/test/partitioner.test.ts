import { randomUUID } from 'node:crypto';
import kafkajs, { type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor, partitionForKey } from '../src/partitioner.js';
import { randomBytes } from './support/random-bytes.js';

const { Partitioners } = kafkajs;

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: i % 3,
    replicas: [i % 3],
    isr: [i % 3],
  }));

describe('kafka partitioner', () => {
  const keys: (string | Buffer)[] = [
    '',
    'a',
    'ab',
    'abc',
    'abcd',
    'node-123',
    'ключ-ü-🙂',
    ...Array.from({ length: 40 }, () => randomUUID()),
    ...Array.from({ length: 200 }, (_, i) => randomBytes(i + 1, i % 41)),
  ];

  it('puts every keyed record on the partition kafkajs’ Java-compatible partitioner picks', () => {
    const theirs = Partitioners.DefaultPartitioner();
    for (const n of [1, 2, 3, 7, 12, 64]) {
      const partitionMetadata = partitions(n);
      for (const key of keys) {
        const args = { topic: 'events', partitionMetadata, message: { key, value: 'x' } };
        const expected = theirs(args);
        const bytes = typeof key === 'string' ? Buffer.from(key) : key;
        expect(partitionFor(bytes, n), `key ${JSON.stringify(key)}, ${n} partitions`).toBe(expected);
        expect(partitionForKey(key, n), `key ${JSON.stringify(key)}, ${n} partitions`).toBe(expected);
      }
    }
  });

  it('matches the Java client’s murmur2 on known keys', () => {
    // Values from Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it('computes Kafka’s murmur2 as a signed 32-bit value, with every tail length mixed in', () => {
    const hashes = new Set<number>();
    for (let length = 0; length <= 8; length++) {
      const h = murmur2(randomBytes(7, length));
      expect(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31).toBe(true);
      hashes.add(h);
    }
    expect(hashes.size).toBe(9);
  });

  it('hashes a string key’s UTF-8 bytes, also for keys too long for the scratch buffer', () => {
    for (const key of ['', 'ü', '🙂'.repeat(300), 'k'.repeat(5000), 'ключ'.repeat(100)]) {
      for (const n of [1, 5, 64]) expect(partitionForKey(key, n)).toBe(partitionFor(Buffer.from(key), n));
    }
  });
});
