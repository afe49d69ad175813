import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Envelope } from '@switchyard/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { eventJson } from '../src/pipeline/event-json.js';
import { serializedEnvelope } from '../src/pipeline/serialized-envelope.js';
import { checkFrame, frameCrc, HEADER_BYTES, MAGIC, writeFrame } from '../src/spool/frame.js';
import { FrameReader } from '../src/spool/frame-reader.js';
import { DiskSpool } from '../src/spool/index.js';
import { drain, ids, makeEvents, segmentFiles, silent, tempDir } from './fixtures/spool/helpers.js';

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function newDir(): Promise<string> {
  const dir = await tempDir();
  dirs.push(dir);
  return dir;
}

/** A frame as the spool wrote it before frames were assembled in place: zlib's CRC-32 of LENGTH and payload. */
function zlibFrame(payload: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(payload.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(Buffer.concat([length, payload])));
  return Buffer.concat([MAGIC, crc, length, payload]);
}

function payload(n: number, seed = 7): Buffer {
  const bytes = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) bytes[i] = i * seed + n;
  return bytes;
}

describe('spool frames', () => {
  it('frameCrc is zlib’s CRC-32 of the length field and the payload, for lengths in every byte of the field', () => {
    for (const n of [1, 2, 255, 256, 257, 4095, 65_535, 65_536, 70_000, (1 << 24) + 3]) {
      const bytes = payload(n);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(n);
      expect(frameCrc(bytes)).toBe(crc32(bytes, crc32(length)));
    }
  });

  it('frames written one after another into one buffer are byte for byte the frames of the earlier format', () => {
    const payloads = [payload(1), payload(300, 3), payload(70_000, 11), payload(5, 13)];
    const buf = Buffer.alloc(payloads.reduce((n, p) => n + HEADER_BYTES + p.length, 0));
    let at = 0;
    for (const p of payloads) at = writeFrame(buf, at, p);
    expect(at).toBe(buf.length);
    expect(buf).toEqual(Buffer.concat(payloads.map(zlibFrame)));
    // And each checks out where it stands.
    let from = 0;
    for (const p of payloads) {
      expect(checkFrame(buf, from, buf.length - from)).toEqual({ length: p.length });
      from += HEADER_BYTES + p.length;
    }
  });

  it('a segment written in the earlier format is read by the reader, and by a spool opened on it', async () => {
    const dir = await newDir();
    const events = makeEvents(5);
    const file = join(dir, `${'1'.padStart(16, '0')}.seg`);
    await writeFile(file, Buffer.concat(events.map((e) => zlibFrame(Buffer.from(JSON.stringify(e))))));
    const reader = await FrameReader.open(file, 0);
    const size = (await readFile(file)).length;
    const kinds: string[] = [];
    for (let item = await reader.next(size); item; item = await reader.next(size)) kinds.push(item.kind);
    await reader.close();
    expect(kinds).toEqual(['record', 'record', 'record', 'record', 'record']);
    const spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    expect(await drain(spool, { ack: true })).toEqual(ids(events));
    await spool.close();
  });
});

describe('DiskSpool writes frames in place', () => {
  it('reads back the exact bytes of events that arrived serialised, from the tail and from the files', async () => {
    const dir = await newDir();
    const originals = makeEvents(40);
    const events: Envelope[] = originals.map((e) =>
      serializedEnvelope({
        id: e.id,
        event_type: e.event_type,
        timestamp: e.timestamp,
        json: Buffer.from(JSON.stringify(e)),
        requestId: undefined,
      }),
    );
    let spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    await spool.append(events.slice(0, 20));
    await spool.append(events.slice(20));
    // From the in-memory tail, a few at a time (a read may end inside one write's records).
    const first = await spool.read(7, 0);
    expect(first?.events).toEqual(events.slice(0, 7));
    await spool.close();
    // From the files, after a restart: everything again, as the same bytes.
    spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    const batch = await spool.read(100, 0);
    expect(batch?.events.map((e) => eventJson(e).toString())).toEqual(
      events.map((e) => eventJson(e).toString()),
    );
    await spool.close();
  });

  it('appends made together (one write) and a write larger than the kept buffer read back in order', async () => {
    const dir = await newDir();
    const spool = await DiskSpool.open({
      dir,
      maxBytes: 64 * 1024 * 1024,
      fullPolicy: 'block',
      segmentBytes: 16 * 1024 * 1024,
      logger: silent,
    });
    const small = makeEvents(30);
    // One group commit: the three appends are written with one write.
    await Promise.all([
      spool.append(small.slice(0, 10)),
      spool.append(small.slice(10, 20)),
      spool.append(small.slice(20)),
    ]);
    // Over the 1 MiB buffer kept between writes: 3 events of ~600 KiB.
    const large = makeEvents(3, 100, 600 * 1024);
    await spool.append(large);
    expect(await drain(spool, { ack: true, max: 4 })).toEqual([...ids(small), ...ids(large)]);
    await spool.close();
  });

  it('a write torn in its last frame is truncated on open; the whole frames before it are delivered', async () => {
    const dir = await newDir();
    const events = makeEvents(12);
    let spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    await spool.append(events);
    await spool.close();
    const [name] = await segmentFiles(dir);
    const file = join(dir, name as string);
    const size = (await readFile(file)).length;
    await truncate(file, size - 20);
    spool = await DiskSpool.open({ dir, maxBytes: 1024 * 1024, fullPolicy: 'block', logger: silent });
    expect(spool.stats().corruptRecords).toBe(1);
    await spool.append(makeEvents(1, 50));
    expect(await drain(spool, { ack: true })).toEqual([...ids(events.slice(0, 11)), 'e000050']);
    await spool.close();
  });
});
