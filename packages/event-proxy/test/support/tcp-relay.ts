import { connect, createServer, type Socket } from 'node:net';

export interface TcpRelay {
  /** The loopback port clients connect to instead of the target's. */
  readonly port: number;
  /** Stops forwarding client → target (what the client sends waits in the relay; the target still talks). */
  hold(): void;
  /** Forwards what was held, and everything after. */
  release(): void;
  /** While on, new connections are closed as soon as they arrive (the target looks unreachable). */
  refuseNew(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of a real server, so a test can hold a client's requests at an exact point.
 * A connection closed on one side is torn down on the other, as a network would.
 */
export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  let held = false;
  let refusing = false;
  const flushers = new Set<() => void>();
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    const pending: Buffer[] = [];
    const flush = () => {
      for (const chunk of pending.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    };
    flushers.add(flush);
    client.on('data', (chunk: Buffer) => {
      if (held) pending.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => {
      flushers.delete(flush);
      upstream.destroy();
    });
    upstream.on('close', () => {
      flushers.delete(flush);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('relay has no port');

  return {
    port: address.port,
    hold() {
      held = true;
    },
    release() {
      held = false;
      for (const flush of flushers) flush();
    },
    refuseNew(on) {
      refusing = on;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
