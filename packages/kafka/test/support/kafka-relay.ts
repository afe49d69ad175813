import { connect, createServer, type Server, type Socket } from 'node:net';
import { framer } from './kafka-frames.js';

/** What the relay does with one answer on its way back to the client. */
export type AnswerAction = 'forward' | 'cut';
/** What the relay does with one request on its way to the broker: `drop` loses it (the broker never sees it). */
export type RequestAction = 'forward' | 'drop';

export interface KafkaRelay {
  /** "127.0.0.1:port" per broker, in the order given. */
  readonly brokers: string[];
  /** [api key, version] of every request passed on, in order. */
  readonly requests: [number, number][];
  close(): Promise<void>;
}

/**
 * TCP relays on loopback in front of Kafka brokers (one per broker), passing frames both ways and rewriting
 * the broker ports in Metadata answers (v1..v8) to the relays'. `onAnswer` sees every answer with the API key
 * of its request and may cut the connection instead of passing it on: a broker that did the work, but whose
 * answer is lost. `onRequest` may drop a request instead: one lost on the way, while those after it arrive.
 */
export async function startKafkaRelay(
  brokers: readonly string[],
  onAnswer: (apiKey: number) => AnswerAction = () => 'forward',
  onRequest: (apiKey: number) => RequestAction = () => 'forward',
): Promise<KafkaRelay> {
  const portMap = new Map<number, number>();
  const requests: [number, number][] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  for (const broker of brokers) {
    const target = Number(broker.split(':')[1]);
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: target });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      // Correlation id → [api key, version] of each request in flight.
      const asked = new Map<number, [number, number]>();
      client.on(
        'data',
        framer((frame) => {
          const request: [number, number] = [frame.readInt16BE(4), frame.readInt16BE(6)];
          if (onRequest(request[0]) === 'drop') return;
          requests.push(request);
          asked.set(frame.readInt32BE(8), request);
          upstream.write(frame);
        }),
      );
      upstream.on(
        'data',
        framer((frame) => {
          const request = asked.get(frame.readInt32BE(4));
          if (!request) return;
          const [apiKey, version] = request;
          if (onAnswer(apiKey) === 'cut') {
            client.destroy();
            upstream.destroy();
            return;
          }
          if (apiKey === 3) rewritePorts(frame, version, portMap);
          client.write(frame);
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('relay has no port');
    servers.push(server);
    portMap.set(target, address.port);
  }
  return {
    brokers: [...portMap.values()].map((p) => `127.0.0.1:${p}`),
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Patches each broker's port in a Metadata answer (brokers come first) to its relay's port. */
function rewritePorts(frame: Buffer, version: number, portMap: Map<number, number>): void {
  let at = 8 + (version >= 3 ? 4 : 0);
  const count = frame.readInt32BE(at);
  at += 4;
  for (let i = 0; i < count; i++) {
    at += 4; // node id
    at += 2 + frame.readInt16BE(at); // host
    const relayed = portMap.get(frame.readInt32BE(at));
    if (relayed !== undefined) frame.writeInt32BE(relayed, at);
    at += 4;
    const rack = frame.readInt16BE(at);
    at += 2 + Math.max(rack, 0);
  }
}
