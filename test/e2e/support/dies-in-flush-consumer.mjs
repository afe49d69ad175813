// An event worker consumer that never confirms a flush: the first worker dies (an uncaught exception)
// while a flush waits for it. A restarted worker (restarts > 0) confirms at once.
export async function attachEventConsumer(ctx) {
  return {
    flush: async () => {},
    settle: async () => {
      if (ctx.restarts > 0) return;
      setTimeout(() => {
        throw new Error('boom: the worker died during a flush');
      }, 0);
      await new Promise(() => {});
    },
    close: async () => {},
  };
}
