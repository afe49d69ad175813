// Where the test setup keeps what it downloads or builds once (Node binaries, the container base image's
// inputs): SWITCHYARD_CACHE_DIR, else /var/cache/switchyard as root (shared by every clone on the machine),
// else ~/.cache/switchyard.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(...parts) {
  const { SWITCHYARD_CACHE_DIR } = process.env;
  const base =
    SWITCHYARD_CACHE_DIR ||
    (process.getuid?.() === 0 ? '/var/cache/switchyard' : join(homedir(), '.cache', 'switchyard'));
  const dir = join(base, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
