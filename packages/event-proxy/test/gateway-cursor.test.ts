import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Envelope } from '@switchyard/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { CURSOR_FILE, CursorFile } from '../src/sources/cursor-file.js';
import { SettledCursor } from '../src/sources/settled-cursor.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('cursor');
afterAll(() => tmp.cleanup());
const logger = createLogger({ level: 'silent' });

describe('CursorFile', () => {
  it('has no cursor at first, saves the newest id atomically (no temp file left), and reads it back', async () => {
    const dir = join(tmp.dir, 'a', 'spool');
    const file = new CursorFile(dir, logger);
    expect(await file.read()).toBeUndefined();
    for (const id of ['01A', '01B', '01C']) file.save(id);
    await file.flush();
    expect(readFileSync(join(dir, CURSOR_FILE), 'utf8')).toBe('01C\n');
    expect(readdirSync(dir)).toEqual([CURSOR_FILE]);
    expect(await new CursorFile(dir, logger).read()).toBe('01C');
  });

  it('treats an unreadable file as no cursor (the stream then starts from the oldest event)', async () => {
    const dir = join(tmp.dir, 'b');
    const file = new CursorFile(dir, logger);
    file.save('x');
    await file.flush();
    writeFileSync(join(dir, CURSOR_FILE), 'not an id\n');
    expect(await file.read()).toBeUndefined();
  });
});

describe('SettledCursor (memory-only queue)', () => {
  const events = sampleEvents(6);
  const ids = events.map((e) => e.id);

  it('moves to the last stream event the sink settled, passing events queued before it that never settle', () => {
    const moved: string[] = [];
    const cursor = new SettledCursor((id) => moved.push(id));
    cursor.handing(events.slice(0, 4));
    // Only events 1 and 3 settle (0 and 2 were filtered or dropped); other sources' events are ignored.
    const other = { ...(events[5] as Envelope), id: 'from-another-source' };
    cursor.settled([events[1] as Envelope, other]);
    cursor.settled([events[3] as Envelope]);
    expect(moved).toEqual([ids[1], ids[3]]);
  });

  it('does not move for events whose hand-off was refused', () => {
    const moved: string[] = [];
    const cursor = new SettledCursor((id) => moved.push(id));
    cursor.handing(events.slice(0, 2));
    cursor.handing(events.slice(2, 4));
    cursor.refused(2);
    cursor.settled(events.slice(2, 4));
    expect(moved).toEqual([]);
    cursor.settled(events.slice(0, 2));
    expect(moved).toEqual([ids[1]]);
  });
});
