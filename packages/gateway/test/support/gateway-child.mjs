// A gateway in a process of its own, for tests that measure its memory: started from the TypeScript
// sources (with the event proxy's source hooks) on the config given as JSON in argv[2]. It prints
// `{"port":N}` once listening, then answers each `rss` line on stdin with `{"maxRss":bytes}` (the peak
// resident set of the process so far) and exits on `exit` or when stdin closes.
import { createInterface } from 'node:readline';
import { createLogger } from '@switchyard/shared';
import { createGateway } from '../../src/index.ts';

const config = JSON.parse(process.argv[2] ?? '{}');
const gateway = createGateway({
  config: { version: 3, ...config },
  host: '127.0.0.1',
  port: 0,
  admin: false,
  logger: createLogger({ level: 'silent' }),
});
const { port } = await gateway.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    process.stdout.write(`${JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
  } else if (line === 'exit') break;
}
await gateway.close();
process.exit(0);
