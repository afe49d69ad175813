import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The harness built by `npm run test:setup` from kafka-mock.c, against Debian's librdkafka (2.0.2). */
export const KAFKA_MOCK_BIN = fileURLToPath(new URL('./build/kafka-mock', import.meta.url));

/**
 * The harnesses, by librdkafka: `debian` (2.0.2: Produce up to v7, Metadata up to v2, no sequence checks)
 * and `bundled` (the librdkafka @confluentinc/kafka-javascript ships, 2.15.1: Produce up to v10, Metadata up
 * to v12, and sequence numbers checked as Kafka does; see scripts/librdkafka-bundled.mjs).
 */
export const KAFKA_MOCKS = {
  debian: KAFKA_MOCK_BIN,
  bundled: fileURLToPath(new URL('./build/kafka-mock-bundled', import.meta.url)),
} as const;
export type KafkaMockName = keyof typeof KAFKA_MOCKS;
export const KAFKA_MOCK_NAMES = Object.keys(KAFKA_MOCKS) as KafkaMockName[];

/** Kafka protocol numbers used with `injectErrors` (ApiKey; error codes as in the Kafka protocol). */
export const ApiKey = { Produce: 0, Fetch: 1, Metadata: 3 } as const;
export const KafkaErrorCode = {
  MESSAGE_TOO_LARGE: 10,
  NOT_LEADER_FOR_PARTITION: 6,
  INVALID_RECORD: 87,
} as const;

export interface KafkaMock {
  /** Comma-separated `127.0.0.1:port` list, one per broker. */
  readonly bootstrap: string;
  readonly brokers: string[];
  /** The librdkafka version the harness runs, e.g. "2.15.1". */
  readonly librdkafka: string;
  /** Disconnects broker `id` (1-based) and refuses new connections; partitions it leads become unavailable. */
  down(id: number): Promise<void>;
  up(id: number): Promise<void>;
  /** Topics are also auto-created (4 partitions) by a producer's or consumer's metadata request. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Makes broker `id` the leader of the partition: what a controller does when the old leader fails. */
  moveLeader(topic: string, partition: number, id: number): Promise<void>;
  /** Delays every answer of broker `id` by `ms` (0: no delay), so a request stays in flight meanwhile. */
  rtt(id: number, ms: number): Promise<void>;
  /** The next `count` requests of `apiKey`, on any broker, fail with `errorCode`. */
  injectErrors(apiKey: number, errorCode: number, count: number): Promise<void>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;

/** Starts one mock cluster (a child process), by default Debian's. `close()` it in afterAll. */
export async function startKafkaMock(
  options: { brokers?: number; mock?: KafkaMockName } = {},
): Promise<KafkaMock> {
  const bin = KAFKA_MOCKS[options.mock ?? 'debian'];
  if (!existsSync(bin)) {
    throw new Error(`Kafka mock harness not built (${bin}); run \`npm run test:setup\``);
  }
  const child = spawn(bin, [String(options.brokers ?? 3)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = new LineReader(child);
  let bootstrap: string;
  try {
    bootstrap = await lines.next(START_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  // Commands are answered in order, one line each; chaining keeps concurrent callers from interleaving.
  let chain: Promise<unknown> = Promise.resolve();
  const ask = (line: string, expected: (answer: string) => boolean): Promise<string> => {
    const run = chain.then(async () => {
      child.stdin.write(`${line}\n`);
      const answer = await lines.next(COMMAND_TIMEOUT_MS);
      if (!expected(answer)) throw new Error(`kafka-mock: "${line}" → "${answer}"`);
      return answer;
    });
    chain = run.catch(() => undefined);
    return run;
  };
  const command = async (line: string): Promise<void> => {
    await ask(line, (answer) => answer === `ok ${line}`);
  };
  let librdkafka: string;
  try {
    librdkafka = (await ask('version', (answer) => answer.startsWith('ok version '))).slice(
      'ok version '.length,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    bootstrap,
    brokers: bootstrap.split(','),
    librdkafka,
    down: (id) => command(`down ${id}`),
    up: (id) => command(`up ${id}`),
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    moveLeader: (topic, partition, id) => command(`leader ${topic} ${partition} ${id}`),
    rtt: (id, ms) => command(`rtt ${id} ${ms}`),
    injectErrors: (apiKey, errorCode, count) => command(`error ${apiKey} ${errorCode} ${count}`),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Reads the harness's stdout line by line; keeps the stderr tail so a failure says why. */
class LineReader {
  private buffered = '';
  private readonly ready: string[] = [];
  private waiter: ((line: string | Error) => void) | undefined;
  private stderrTail = '';
  private ended: Error | undefined;

  constructor(child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl = this.buffered.indexOf('\n');
      while (nl >= 0) {
        this.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
        nl = this.buffered.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    child.on('error', (err) => this.fail(err));
    child.on('exit', (code, signal) => {
      this.fail(new Error(`kafka-mock exited (${signal ?? code}); stderr: ${this.stderrTail.trim()}`));
    });
  }

  next(timeoutMs: number): Promise<string> {
    const line = this.ready.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`kafka-mock: no answer within ${timeoutMs} ms; stderr: ${this.stderrTail.trim()}`));
      }, timeoutMs);
      this.waiter = (value) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
    });
  }

  private push(line: string): void {
    if (this.waiter) this.waiter(line);
    else this.ready.push(line);
  }

  private fail(err: Error): void {
    this.ended ??= err;
    this.waiter?.(err);
  }
}
