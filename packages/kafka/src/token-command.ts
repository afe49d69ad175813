import { spawn } from 'node:child_process';

/** How a token command failed: its exit code, the signal that ended it, or that it ran out of time. */
export class TokenCommandError extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'TokenCommandError';
  }
}

/** More output than any token: a command printing this much is broken, and is stopped. */
const MAX_OUTPUT_BYTES = 1 << 20;

/**
 * Runs `command` with /bin/sh and resolves with its stdout. The shell runs in a process group of its own
 * (detached), and a timeout or an oversized output kills the whole group: killing only the shell would leave
 * what it started (`curl`, a helper's children) running, and holding the output pipe open.
 */
export function runTokenCommand(command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: TokenCommandError | undefined;
    const killGroup = (why: string) => {
      failure ??= new TokenCommandError(why);
      try {
        // A negative pid signals the process group the detached shell leads.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => killGroup(`no token within ${timeoutMs} ms`), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) killGroup(`more than ${MAX_OUTPUT_BYTES} bytes of output`);
      else chunks.push(chunk);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new TokenCommandError((err as NodeJS.ErrnoException).code ?? 'cannot start /bin/sh'));
    });
    // 'close' waits for the output pipe too: whatever the shell left behind holding it is ended by the timeout.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new TokenCommandError(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
  });
}
