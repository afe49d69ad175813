import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Runs once before every test project. Heavy setup (apt packages, RabbitMQ, the Kafka harness build)
// is done by scripts/test-setup.mjs, which `npm test` runs first; this only checks it happened, so a
// missing harness is one clear message instead of every Kafka test failing on its own.
const HARNESS_SRC = fileURLToPath(new URL('../../packages/kafka/test/support/kafka-mock.c', import.meta.url));
// Against Debian's librdkafka, and against the newer one @confluentinc/kafka-javascript ships.
const HARNESS_BINS = ['kafka-mock', 'kafka-mock-bundled'].map((name) =>
  fileURLToPath(new URL(`../../packages/kafka/test/support/build/${name}`, import.meta.url)),
);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(): void {
  // dist/ as the sources say now, once, before any test runs: tests that start the built CLI or pack the
  // packages must never see turbo rewrite dist/ under them (a cache hit replays it in a few seconds).
  execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  for (const bin of HARNESS_BINS) {
    if (!existsSync(bin)) {
      throw new Error(`The Kafka mock-cluster harness is not built (${bin}). Run \`npm run test:setup\`.`);
    }
    if (statSync(bin).mtimeMs < statSync(HARNESS_SRC).mtimeMs) {
      throw new Error(
        `The Kafka mock-cluster harness ${bin} is older than kafka-mock.c. Run \`npm run test:setup\`.`,
      );
    }
  }
}
