#!/usr/bin/env node
// The container entrypoint (`node dist/main.js [-c FILE]`): the same process as `switchyard events`.
import { runEventProxy } from './run.js';

const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
});

try {
  process.exitCode = await runEventProxy(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stopSignal,
  });
} catch (err) {
  process.stderr.write(`switchyard-event-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
