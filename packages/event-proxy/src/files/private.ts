import { chmod, mkdir, stat } from 'node:fs/promises';

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
