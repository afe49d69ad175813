import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Runs once before every test project. Heavy setup (apt packages, RabbitMQ, the Kafka harness build)
// is done by scripts/test-setup.mjs, which `npm test` runs first; this only checks it happened, so a
// missing harness is one clear message instead of every Kafka test failing on its own.
const HARNESS_SRC = fileURLToPath(new URL('../../packages/kafka/test/support/kafka-mock.c', import.meta.url));
const HARNESS_BIN = fileURLToPath(
  new URL('../../packages/kafka/test/support/build/kafka-mock', import.meta.url),
);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(): void {
  // dist/ as the sources say now, once, before any test runs: tests that start the built CLI or pack the
  // packages must never see turbo rewrite dist/ under them (a cache hit replays it in a few seconds).
  execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (!existsSync(HARNESS_BIN)) {
    throw new Error(
      `The Kafka mock-cluster harness is not built (${HARNESS_BIN}). Run \`npm run test:setup\`.`,
    );
  }
  if (statSync(HARNESS_BIN).mtimeMs < statSync(HARNESS_SRC).mtimeMs) {
    throw new Error(`The Kafka mock-cluster harness is older than kafka-mock.c. Run \`npm run test:setup\`.`);
  }
}
