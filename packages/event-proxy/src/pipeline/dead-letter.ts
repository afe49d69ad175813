import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Envelope } from '@switchyard/shared';
import { makePrivateDir, openPrivateForAppend } from '../files/private.js';

export interface DeadLetter {
  event: Envelope;
  reason: string;
}

/** A JSON.stringify replacer for values JSON cannot hold: BigInts become strings, cycles a marker. */
function lenient(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
}

function line(time: string, sink: string, letter: DeadLetter): string {
  try {
    return `${JSON.stringify({ time, sink, reason: letter.reason, event: letter.event })}\n`;
  } catch {
    // The event itself cannot be written as JSON (e.g. a BigInt from an in-process producer): write it
    // as close to the original as JSON allows.
  }
  try {
    return `${JSON.stringify({ time, sink, reason: letter.reason, event: letter.event }, lenient())}\n`;
  } catch (err) {
    // Still not (e.g. a toJSON that throws): keep what identifies it, and why, rather than losing the line.
    const { id, event_type } = letter.event as { id?: unknown; event_type?: unknown };
    const why = `${letter.reason}; the event cannot be serialized: ${(err as Error).message}`;
    return `${JSON.stringify({ time, sink, reason: why, event: { id: String(id), event_type: String(event_type) } })}\n`;
  }
}

/**
 * The dead-letter file: one NDJSON line `{ time, sink, reason, event }` per event a sink refused for good.
 * Each write is fsynced before it resolves, because the events are acked (released) right after.
 */
export class DeadLetterFile {
  private handle: FileHandle | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  write(sink: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const next = this.chain.then(async () => {
      const time = new Date().toISOString();
      const text = letters.map((l) => line(time, sink, l)).join('');
      const fh = await this.file();
      await fh.appendFile(text);
      await fh.sync();
    });
    this.chain = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async file(): Promise<FileHandle> {
    if (!this.handle) {
      await makePrivateDir(dirname(this.path));
      this.handle = await openPrivateForAppend(this.path);
    }
    return this.handle;
  }
}
