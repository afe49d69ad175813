import { type FileHandle, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileTarget } from '@switchyard/config';
import { type Envelope, SwitchyardError } from '@switchyard/shared';
import { makePrivateDir, openPrivateForAppend } from '../files/private.js';
import { ndjson, serializeEach } from './serialize.js';
import type { SendResult, Sink } from './sink.js';

export interface FileSinkDeps {
  /** Where `path: "-"` writes; process.stdout unless a test passes its own. */
  stdout?: NodeJS.WritableStream;
}

function unavailable(message: string, cause: unknown): SwitchyardError {
  return new SwitchyardError('SWY_SINK_UNAVAILABLE', `${message}: ${(cause as Error).message}`, { cause });
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Appends each batch as NDJSON to a file (or stdout for `-`). With `fsync: batch` a batch is confirmed
 * only once fsynced. With `rotate_bytes`, a batch that would take the file past it first moves the file
 * to `path.1` (`path.1` to `path.2`, …, keeping `rotate_keep`).
 */
export class FileSink implements Sink {
  readonly name = 'file';
  private handle: FileHandle | undefined;
  private size = 0;
  private healthy = true;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: FileTarget,
    private readonly deps: FileSinkDeps = {},
  ) {}

  private get toStdout(): boolean {
    return this.config.path === '-';
  }

  async start(): Promise<void> {
    if (this.toStdout) return;
    await this.serial(() => this.file());
  }

  ready(): boolean {
    return this.healthy;
  }

  send(batch: readonly Envelope[]): Promise<SendResult> {
    const { lines, rejected } = serializeEach(batch);
    if (lines.length === 0) return Promise.resolve({ rejected });
    const data = ndjson(lines);
    return this.serial(async () => {
      if (this.toStdout) await this.writeStdout(data);
      else await this.append(data);
      return { rejected };
    });
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }

  // Sends never overlap: rotation and the size count assume one writer.
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => {});
    return next;
  }

  private async file(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    try {
      await makePrivateDir(dirname(this.config.path));
      const handle = await openPrivateForAppend(this.config.path);
      this.size = (await handle.stat()).size;
      this.handle = handle;
      this.healthy = true;
      return handle;
    } catch (err) {
      this.healthy = false;
      throw unavailable(`cannot open ${this.config.path}`, err);
    }
  }

  private async append(data: Buffer): Promise<void> {
    const { rotate_bytes } = this.config;
    if (rotate_bytes > 0 && this.size > 0 && this.size + data.length > rotate_bytes) await this.rotate();
    const fh = await this.file();
    try {
      await fh.appendFile(data);
      if (this.config.fsync === 'batch') await fh.sync();
      this.size += data.length;
    } catch (err) {
      this.healthy = false;
      // Cut a partial write off so the retry does not leave a torn line behind.
      await fh.truncate(this.size).catch(() => {});
      await fh.close().catch(() => {});
      this.handle = undefined;
      throw unavailable(`cannot write ${this.config.path}`, err);
    }
  }

  private async rotate(): Promise<void> {
    const { path, rotate_keep } = this.config;
    try {
      await this.handle?.close();
      this.handle = undefined;
      for (let i = rotate_keep - 1; i >= 1; i--) await renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
      await renameIfExists(path, `${path}.1`);
    } catch (err) {
      this.healthy = false;
      throw unavailable(`cannot rotate ${path}`, err);
    }
  }

  private writeStdout(data: Buffer): Promise<void> {
    const out = this.deps.stdout ?? process.stdout;
    return new Promise((resolve, reject) => {
      out.write(data, (err) => {
        this.healthy = !err;
        if (err) reject(unavailable('cannot write to stdout', err));
        else resolve();
      });
    });
  }
}
