import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('./ts-sources-register.mjs', import.meta.url));
/** The container entrypoint, the same process as `switchyard events`. */
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface ProxyProcess {
  readonly child: ChildProcess;
  /** The listener's base URL, from the "event proxy started" log line. */
  readonly url: string;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  readonly exited: Promise<number | string>;
  /** The log lines so far (JSON, pino). */
  readonly logs: Array<Record<string, unknown>>;
}

/**
 * Runs the event proxy as its own process from the TypeScript sources (`src/main.ts`, configured by `env`
 * as in production) and resolves once it listens. Its output is parsed as log lines; a process that exits
 * before it is started rejects with what it printed.
 */
export async function spawnProxy(env: Record<string, string>): Promise<ProxyProcess> {
  const child = spawn(process.execPath, ['--import', REGISTER, MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let output = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the proxy did not start within ${START_TIMEOUT_MS} ms: ${output.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-8000);
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        logs.push(entry);
        if (entry.msg === 'event proxy started') {
          clearTimeout(timer);
          resolve(String(entry.listen));
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-8000);
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited (${how}) before it started: ${output.slice(-2000)}`));
    });
  });
  return { child, url, exited, logs };
}
