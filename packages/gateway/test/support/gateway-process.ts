import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestConfig } from './gateway.js';

// The event proxy's test hooks run TypeScript sources in a plain node process (no build needed).
const REGISTER = fileURLToPath(
  new URL('../../../event-proxy/test/support/ts-sources-register.mjs', import.meta.url),
);
const CHILD = fileURLToPath(new URL('./gateway-child.mjs', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface GatewayProcess {
  port: number;
  /** The peak resident set of the gateway process so far, in bytes. */
  maxRss(): Promise<number>;
  close(): Promise<void>;
}

/** Runs a gateway on `config` in a child process (loopback, ephemeral port), for memory measurements. */
export async function spawnGateway(config: TestConfig): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', REGISTER, CHILD, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (what: string, ms: number) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} from the gateway process: ${stderr}`)), ms);
      void exited.then(() => reject(new Error(`the gateway process exited: ${stderr}`)));
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, number>);
      });
    });
  let port: number;
  try {
    port = (await next('port', START_TIMEOUT_MS)).port as number;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    async maxRss() {
      const answer = next('rss', 10_000);
      child.stdin?.write('rss\n');
      return (await answer).maxRss as number;
    },
    async close() {
      child.stdin?.end('exit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
