import { chmod, type FileHandle, mkdir, open, stat } from 'node:fs/promises';

// Events carry request data (paths, client addresses, headers): every file the proxy writes them to is
// readable by its owner only.
/** The mode of every file the proxy creates: spool segments, checkpoint, lock, cursor, sink and dead letters. */
export const PRIVATE_FILE = 0o600;
/** The mode of every directory the proxy creates for them. */
export const PRIVATE_DIR = 0o700;

/**
 * Creates `dir` and any missing parents 0700. Directories that already exist keep their mode: a parent is
 * the operator's, not ours to change.
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
}

/** Takes group and other permissions off a file or directory of ours (made by an earlier version with wider modes). */
export async function tighten(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, mode & 0o700);
}

/**
 * Opens a file we append events to (a sink file, the dead-letter file), created 0600; one that exists with
 * group or other permissions (made 0644 by an earlier version) is made 0600. Only a regular file: a path
 * such as /dev/stdout or a FIFO is the operator's.
 */
export async function openPrivateForAppend(path: string): Promise<FileHandle> {
  const handle = await open(path, 'a', PRIVATE_FILE);
  try {
    const { mode } = await handle.stat();
    if ((mode & 0o170000) === 0o100000 && (mode & 0o077) !== 0) await handle.chmod(mode & 0o700);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
