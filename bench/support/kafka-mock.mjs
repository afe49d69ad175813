import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The librdkafka mock-cluster harness, built by `npm run test:setup`. */
export const KAFKA_MOCK = fileURLToPath(
  new URL('../../packages/kafka/test/support/build/kafka-mock', import.meta.url),
);

/** The same harness built against the newer librdkafka (Produce v10, Metadata v12; see scripts/librdkafka-bundled.mjs). */
export const KAFKA_MOCK_BUNDLED = fileURLToPath(
  new URL('../../packages/kafka/test/support/build/kafka-mock-bundled', import.meta.url),
);

/** Starts a one-broker mock cluster; resolves with its bootstrap address and a stop function. */
export function startKafkaMock(bin = KAFKA_MOCK) {
  const child = spawn(bin, ['1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', function onData(chunk) {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({ bootstrap: out.slice(0, nl), stop: async () => child.stdin.end('quit\n') });
    });
    child.on('exit', (code) => reject(new Error(`kafka-mock exited (${code})`)));
  });
}
