import type { Envelope } from '@switchyard/shared';
import type { HttpReceiver } from './http-receiver.js';

export interface FlakySink {
  url: string;
  /** From now on the receiver answers 200. */
  up(): void;
  /** The ids of the events it took (2xx answers). */
  delivered(): string[];
}

/** Starts `receiver` as an HTTP sink target that answers 503 until `up()` is called. */
export async function flakySink(receiver: HttpReceiver): Promise<FlakySink> {
  let up = false;
  const ok = new Set<number>();
  receiver.responder = (n, _req, res) => {
    if (!up) {
      res.writeHead(503).end('down');
      return;
    }
    ok.add(n);
    res.writeHead(200).end();
  };
  const url = await receiver.start();
  return {
    url,
    up: () => {
      up = true;
    },
    delivered: () => (receiver.events(ok) as Envelope[]).map((e) => e.id),
  };
}
