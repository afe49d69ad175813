import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import packages by name; these aliases point them at src so no build is needed.
const alias = {
  '@switchyard/shared': src('./packages/shared/src/index.ts'),
  '@switchyard/kafka': src('./packages/kafka/src/index.ts'),
  '@switchyard/config': src('./packages/config/src/index.ts'),
  '@switchyard/gateway': src('./packages/gateway/src/index.ts'),
  '@switchyard/event-proxy': src('./packages/event-proxy/src/index.ts'),
  '@switchyard/cli': src('./apps/cli/src/index.ts'),
};

const project = (name: string, root: string, include = ['test/**/*.test.ts']) => ({
  extends: true as const,
  test: { name, root, include },
});

export default defineConfig({
  resolve: { alias },
  test: {
    // Long enough for a loaded machine: a timeout only costs time when a test fails.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // vitest's default on 2 cores is one file at a time; most files wait on peers (brokers, child
    // processes, timers), so three at once keep both cores busy.
    maxWorkers: 3,
    globalSetup: [src('./test/support/global-setup.ts')],
    projects: [
      project('shared', './packages/shared'),
      project('kafka', './packages/kafka'),
      project('config', './packages/config'),
      project('gateway', './packages/gateway'),
      project('event-proxy', './packages/event-proxy'),
      project('cli', './apps/cli'),
      project('e2e', './test', ['e2e/**/*.test.ts']),
      // Packs and installs every package (npm registry for third-party dependencies): npm test runs it.
      project('release', './test', ['release/**/*.test.ts']),
      project('conformance', './test', ['conformance/**/*.test.ts']),
      // Builds and runs the container images with podman (root; `npm run test:setup` prepares the base);
      // after every other project, so its builds do not load the machine under timing-sensitive tests.
      {
        extends: true as const,
        test: {
          name: 'images',
          root: './test',
          include: ['images/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
    ],
  },
});
