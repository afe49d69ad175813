// One gateway in a process of its own (the built package), for tests that need several real processes:
// reads the config JSON from argv[2], listens on 127.0.0.1 on an ephemeral port, prints {"port":N} once
// listening, and closes on SIGTERM.
import { createGateway } from '../../dist/index.js';

const gateway = createGateway({
  config: JSON.parse(process.argv[2]),
  host: '127.0.0.1',
  port: 0,
  admin: false,
});
const { port } = await gateway.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
