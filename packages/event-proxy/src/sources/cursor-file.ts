import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@switchyard/shared';
import { makePrivateDir } from '../files/private.js';
import { replaceFile } from '../spool/segment-files.js';

/** The gateway stream's cursor file, kept in the spool directory. */
export const CURSOR_FILE = 'gateway-cursor';

// An event id is a ULID (26 characters); anything much longer is not one of ours.
const MAX_ID_LENGTH = 128;

/**
 * The persisted resume point of the gateway stream: the id after which a restarted proxy asks the gateway
 * for events. Each save replaces the file atomically (temp file, fsync, rename), so a crash leaves the old
 * id or the new one, never a torn one; an older id only means some events are delivered twice. Saves are
 * coalesced: while one is being written, later ids wait and only the newest is written next.
 */
export class CursorFile {
  private readonly path: string;
  private pending: string | undefined;
  private writing: Promise<void> | undefined;
  private dirMade = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, CURSOR_FILE);
  }

  /** The saved id, or undefined when there is none or it is unreadable (then the stream starts over). */
  async read(): Promise<string | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const id = text.trim();
    if (id.length > 0 && id.length <= MAX_ID_LENGTH && /^[\x21-\x7e]+$/.test(id)) return id;
    this.logger.warn(
      { path: this.path },
      'gateway cursor file is unreadable; reading the gateway ring from its oldest event',
    );
    return undefined;
  }

  /** Records `id` as the new resume point (written in the background). */
  save(id: string): void {
    this.pending = id;
    this.writing ??= this.drain();
  }

  /** Resolves once every id saved so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const id = this.pending;
        this.pending = undefined;
        await this.write(id).catch((err: unknown) =>
          this.logger.error(
            { err, path: this.path },
            'cannot save the gateway cursor; a restart re-reads more events',
          ),
        );
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(id: string): Promise<void> {
    if (!this.dirMade) {
      await makePrivateDir(this.dir);
      this.dirMade = true;
    }
    await replaceFile(this.dir, this.path, `${id}\n`);
  }
}
