// An event worker consumer for the restart test: the event proxy of `switchyard run` (the built module),
// plus a fault: the first worker throws (an uncaught exception) once it built the event of a request to
// /crash. A restarted worker (restarts > 0) runs the proxy alone.
import { attachEventConsumer as attachProxy } from '../../../apps/cli/dist/wiring/proxy-worker.js';

export async function attachEventConsumer(ctx) {
  const consumer = await attachProxy(ctx);
  if (ctx.restarts === 0) {
    ctx.hub.subscribe((event) => {
      if (event.event_type === 'request' && event.data.path === '/crash') {
        setTimeout(() => {
          throw new Error('boom: the test consumer failed');
        }, 0);
      }
    });
  }
  return consumer;
}
