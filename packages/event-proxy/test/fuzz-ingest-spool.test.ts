import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSwitchyardError } from '@switchyard/shared';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { splitBody } from '../src/sources/body-items.js';
import { kongLogProblems, mapKongLogEntry } from '../src/sources/kong-http-log.js';
import { envelopeItemProblems } from '../src/sources/validate.js';
import { encodeFrame, HEADER_BYTES } from '../src/spool/frame.js';
import { FrameReader } from '../src/spool/frame-reader.js';
import { sampleEvents } from './support/sample-events.js';

// Properties over the ingest parser and the spool's frame reader: whatever the input, no crash, no hang
// (every loop ends), bounded output, and malformed input always gets a clear error.

const dir = mkdtempSync(join(tmpdir(), 'swy-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAX_ITEMS = 50;

// Bodies that look like what producers send, and what they send by mistake.
const jsonish = fc.oneof(
  fc.json(),
  fc.constantFrom(...sampleEvents(4).map((e) => JSON.stringify(e))),
  fc.string(),
  fc.constantFrom('{}', '[]', '[', '{"id":', '"\\', '\n', '\r\n', ',', ']]]', '[[[[', 'null', '1e999'),
);
const bodies = fc.oneof(
  jsonish,
  fc.array(jsonish, { maxLength: 80 }).map((items) => items.join('\n')),
  fc.array(jsonish, { maxLength: 80 }).map((items) => `[${items.join(',')}]`),
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString('latin1')),
);
const contentTypes = fc.constantFrom(undefined, 'application/json', 'application/x-ndjson', 'text/plain');

describe('fuzz: the ingest parser', () => {
  it('splits any body into at most max_items items, or refuses it with SWY_PAYLOAD_INVALID / SWY_INGEST_TOO_MANY_ITEMS', () => {
    fc.assert(
      fc.property(bodies, contentTypes, (text, contentType) => {
        let split: ReturnType<typeof splitBody>;
        try {
          split = splitBody(Buffer.from(text), contentType, MAX_ITEMS);
        } catch (err) {
          expect(
            isSwitchyardError(err, 'SWY_PAYLOAD_INVALID') ||
              isSwitchyardError(err, 'SWY_INGEST_TOO_MANY_ITEMS'),
          ).toBe(true);
          expect((err as Error).message.length).toBeGreaterThan(10);
          expect((err as Error).message.length).toBeLessThan(400);
          return;
        }
        expect(split.count).toBeLessThanOrEqual(MAX_ITEMS);
        let n = 0;
        for (const entry of split.entries()) {
          n++;
          if (entry.kind === 'unparsable') {
            expect(entry.reason).toMatch(/^not valid JSON: /);
            expect(entry.reason.length).toBeLessThan(300);
            continue;
          }
          // Every item is either a valid envelope or has problems that say where and why.
          for (const p of envelopeItemProblems(entry.item)) {
            expect(p.reason.length).toBeGreaterThan(0);
            expect(JSON.stringify(p).length).toBeLessThan(1024);
          }
          // The Kong mapping never throws on an entry it found no problem with.
          if (kongLogProblems(entry.item.value).length === 0) {
            mapKongLogEntry(entry.item.value as Parameters<typeof mapKongLogEntry>[0], { nodeId: 'n' });
          }
        }
        // The count announced is the count handed out (the item bound is checked on it).
        expect(n).toBe(split.count);
      }),
      { numRuns: 400 },
    );
  });

  it('an array is counted, not parsed, past max_items, whatever its strings and nesting hold', () => {
    fc.assert(
      fc.property(fc.array(fc.json(), { minLength: MAX_ITEMS + 1, maxLength: MAX_ITEMS + 30 }), (items) => {
        const body = Buffer.from(`[${items.join(',')}]`);
        expect(() => splitBody(body, 'application/json', MAX_ITEMS)).toThrow(/more than 50 array elements/);
        const fits = Buffer.from(`[${items.slice(0, MAX_ITEMS).join(',')}]`);
        expect(splitBody(fits, 'application/json', MAX_ITEMS).count).toBe(MAX_ITEMS);
      }),
      { numRuns: 60 },
    );
  });
});

/** A segment: valid frames of sample events, with random damage (garbage, torn frames, flipped bytes). */
const segments = fc
  .array(
    fc.oneof(
      fc.nat(3).map((i) => ({ kind: 'frame' as const, i })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ kind: 'garbage' as const, b })),
      fc.record({ i: fc.nat(3), cut: fc.nat() }).map((t) => ({ kind: 'torn' as const, ...t })),
      fc.record({ i: fc.nat(3), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) }).map((f) => ({
        kind: 'flipped' as const,
        ...f,
      })),
    ),
    { maxLength: 20 },
  )
  .map((parts) => {
    const events = sampleEvents(4);
    const chunks: Buffer[] = [];
    const valid: Array<{ start: number; id: string }> = [];
    let at = 0;
    for (const part of parts) {
      let chunk: Buffer;
      if (part.kind === 'garbage') chunk = Buffer.from(part.b);
      else {
        const event = events[part.i] as (typeof events)[number];
        const frame = encodeFrame(event, 0);
        if (part.kind === 'frame') {
          chunk = frame;
          valid.push({ start: at, id: event.id });
        } else if (part.kind === 'torn') chunk = frame.subarray(0, part.cut % frame.length);
        else {
          chunk = Buffer.from(frame);
          const i = part.at % chunk.length;
          chunk[i] = (chunk[i] as number) ^ part.x;
        }
      }
      chunks.push(chunk);
      at += chunk.length;
    }
    return { bytes: Buffer.concat(chunks), valid };
  });

describe('fuzz: the spool frame reader', () => {
  it('walks any segment to its end in contiguous items, finds every intact frame, and never returns a damaged one', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(segments, async ({ bytes, valid }) => {
        const path = join(dir, `seg-${run++}`);
        writeFileSync(path, bytes);
        const reader = await FrameReader.open(path, 0);
        const records: Array<{ start: number; id: string }> = [];
        try {
          let pos = 0;
          // Each item moves forward: at most one item per byte, so the walk ends.
          for (let steps = 0; steps <= bytes.length; steps++) {
            const item = await reader.next(bytes.length);
            if (!item) break;
            expect(item.start).toBe(pos);
            expect(item.end).toBeGreaterThan(item.start);
            pos = item.end;
            if (item.kind === 'record') {
              expect(item.end - item.start).toBe(HEADER_BYTES + item.payload.length);
              records.push({
                start: item.start,
                id: (JSON.parse(item.payload.toString('utf8')) as { id: string }).id,
              });
            }
          }
          expect(pos).toBe(bytes.length);
        } finally {
          await reader.close();
        }
        // Every intact frame is found where it was written (damage before it never hides it). A record
        // found elsewhere can only be a whole valid frame inside damaged bytes, which the CRC vouches for.
        for (const v of valid) expect(records).toContainEqual(v);
      }),
      { numRuns: 150 },
    );
  });
});
