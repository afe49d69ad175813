// Starts the built gateway with the file given as JSON in argv[2], sends one request to `/a`, closes the
// gateway and prints "closed": the test then waits for this process to exit on its own, which it does only
// once nothing (a timer, a socket) keeps its event loop alive.
const { createGateway } = await import('@switchyard/gateway');
const { createLogger } = await import('@switchyard/shared');
const gateway = createGateway({
  config: JSON.parse(process.argv[2]),
  host: '127.0.0.1',
  port: 0,
  admin: false,
  logger: createLogger({ level: 'silent' }),
});
const { port } = await gateway.listen();
const res = await fetch(`http://127.0.0.1:${port}/a`);
await res.arrayBuffer();
console.log(`served ${res.status}`);
await gateway.close();
console.log('closed');
