import { rm } from 'node:fs/promises';
import type { Envelope } from '@switchyard/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { eventJson, knownJson } from '../src/pipeline/event-json.js';
import { MemoryQueue } from '../src/pipeline/memory-queue.js';
import { serializedEnvelope } from '../src/pipeline/serialized-envelope.js';
import { kafkaMessageKey } from '../src/sinks/kafka.js';
import { encodeFrame, HEADER_BYTES } from '../src/spool/frame.js';
import { DiskSpool } from '../src/spool/index.js';
import { silent, tempDir } from './fixtures/spool/helpers.js';
import { sampleEvents } from './support/sample-events.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Events whose serialisations are counted (JSON.stringify calls a `toJSON` each time it writes the data). */
function counted(count: number): { events: Envelope[]; serialised: () => number } {
  let calls = 0;
  const events = sampleEvents(count).map((e) => {
    const data = e.data as unknown as Record<string, unknown>;
    const copy = { ...data };
    Object.defineProperty(data, 'toJSON', {
      enumerable: false,
      value: () => {
        calls++;
        return copy;
      },
    });
    return e;
  });
  return { events, serialised: () => calls };
}

describe('event JSON made once', () => {
  it('serialises each event once from the disk spool to the sink, and sends the bytes read back after a restart', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const options = { dir, maxBytes: 1024 * 1024, fullPolicy: 'block' as const, logger: silent };
    const { events, serialised } = counted(6);
    const expected = events.map((e) => JSON.stringify(e));
    const before = serialised();
    const spool = await DiskSpool.open(options);
    await spool.append(events);
    const batch = await spool.read(10, 0);
    expect(batch?.events).toHaveLength(6);
    // What a sink sends: the bytes the spool wrote, without serialising the events again.
    expect(batch?.events.map((e) => eventJson(e).toString())).toEqual(expected);
    expect(serialised() - before).toBe(6);
    await spool.close();

    // Unacked, so read from the files after reopening: the payloads read are the bytes sent.
    const reopened = await DiskSpool.open(options);
    const again = await reopened.read(10, 0);
    expect(again?.events.map((e) => knownJson(e)?.toString())).toEqual(expected);
    await reopened.close();
  });

  it('serialises each event once between the memory queue and the sink', async () => {
    const { events, serialised } = counted(5);
    const before = serialised();
    const queue = new MemoryQueue({ maxEvents: 10, fullPolicy: 'block' });
    await queue.append(events);
    const batch = await queue.read(10, 0);
    for (const e of batch?.events ?? []) eventJson(e);
    expect(serialised() - before).toBe(5);
    expect(queue.depth().bytes).toBe(events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0));
  });

  it('serialises a spread copy of an event afresh, so a changed copy never sends the original bytes', () => {
    const [event] = sampleEvents(1) as [Envelope];
    const original = eventJson(event).toString();
    const copy = { ...event, id: 'changed' } as Envelope;
    expect(JSON.parse(eventJson(copy).toString()).id).toBe('changed');
    expect(eventJson(event).toString()).toBe(original);
    // The cached bytes never show in the event's own JSON.
    expect(JSON.stringify(event)).toBe(original);
  });

  it('caches the JSON of a frozen event too', () => {
    const [event] = sampleEvents(1) as [Envelope];
    Object.freeze(event);
    const bytes = eventJson(event);
    expect(knownJson(event)).toBe(bytes);
    expect(bytes.toString()).toBe(JSON.stringify(event));
  });
});

describe('events handed over serialised (the gateway hub in process)', () => {
  const envelope = {
    id: '01JD0000000000000000000001',
    event_type: 'request',
    timestamp: 1_700_000_000,
    kong_node_id: 'node-1',
    data: { request_id: 'in-the-data', method: 'GET', path: '/é' },
  };
  const serialised = () => {
    const json = Buffer.from(JSON.stringify(envelope));
    // The request id beside the bytes differs from the one inside them: a key read from the data would show.
    const event = serializedEnvelope({
      id: envelope.id,
      event_type: 'request',
      timestamp: envelope.timestamp,
      json,
      requestId: 'beside',
    });
    return { json, event };
  };

  it('keep their bytes as the spool frame and the Kafka value, and their key without parsing', async () => {
    const { json, event } = serialised();
    expect(eventJson(event)).toBe(json);
    expect(knownJson(event)).toBe(json);
    expect(kafkaMessageKey(event)).toBe('beside');
    expect(encodeFrame(event, 0).subarray(HEADER_BYTES)).toEqual(json);
    const dir = await tempDir();
    dirs.push(dir);
    const spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    await spool.append([event]);
    const batch = await spool.read(10, 0);
    expect(batch?.events.map((e) => eventJson(e).toString())).toEqual([json.toString()]);
    await spool.close();
  });

  it('give their whole envelope to a stage that reads it, and to JSON.stringify', () => {
    const { json, event } = serialised();
    expect(event.timestamp).toBe(envelope.timestamp);
    expect(event.kong_node_id).toBe('node-1');
    expect(event.data).toEqual(envelope.data);
    expect(JSON.stringify(event)).toBe(json.toString());
  });
});
