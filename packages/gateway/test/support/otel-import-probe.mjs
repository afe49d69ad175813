// Starts and stops the built gateway with the file given as JSON in argv[2], in a process where importing
// any `@opentelemetry/*` module fails: a gateway that loads one logs the failure (or does not start).
// Prints "served <status>" once a request was answered.
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) throw new Error('imported ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const { createGateway } = await import('@switchyard/gateway');
const { createLogger } = await import('@switchyard/shared');
const gateway = createGateway({
  config: JSON.parse(process.argv[2]),
  host: '127.0.0.1',
  port: 0,
  admin: false,
  logger: createLogger({ level: 'error' }),
});
const { port } = await gateway.listen();
const res = await fetch(`http://127.0.0.1:${port}/__health`);
console.log(`served ${res.status}`);
await gateway.close();
