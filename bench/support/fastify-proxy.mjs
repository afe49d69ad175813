// Peer (a): @fastify/http-proxy (undici underneath) in front of the backend, as its README sets it up.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const upstream = process.argv[2];
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: '/noop', rewritePrefix: '/noop' });
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`LISTENING ${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
