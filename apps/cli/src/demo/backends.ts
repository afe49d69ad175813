import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Small backends for `switchyard demo`: enough to show aggregation, filtering and a slow backend.
const USERS: Record<
  string,
  { id: number; name: string; email: string; password_hash: string; team_id: number }
> = {
  '1': { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', password_hash: 'x1', team_id: 10 },
  '2': { id: 2, name: 'Grace Hopper', email: 'grace@example.com', password_hash: 'x2', team_id: 20 },
};
const TEAMS: Record<string, { id: number; name: string; members: number }> = {
  '10': { id: 10, name: 'Analytical Engines', members: 4 },
  '20': { id: 20, name: 'Compilers', members: 7 },
};
const ORDERS = [
  { order_id: 'o-1', user_id: 1, total: 42.5, status: 'shipped' },
  { order_id: 'o-2', user_id: 1, total: 12.0, status: 'open' },
  { order_id: 'o-3', user_id: 2, total: 99.9, status: 'open' },
];

function route(path: string): { status: number; body: unknown; delayMs?: number } {
  const [, kind, id] = path.split('/');
  if (kind === 'users' && id && USERS[id]) return { status: 200, body: USERS[id] };
  if (kind === 'teams' && id && TEAMS[id]) return { status: 200, body: TEAMS[id] };
  if (kind === 'orders') {
    const user = Number(new URL(path, 'http://x').searchParams.get('user_id') ?? id);
    return { status: 200, body: ORDERS.filter((o) => Number.isNaN(user) || o.user_id === user) };
  }
  if (kind === 'status') return { status: 200, body: { service: 'demo', healthy: true } };
  if (kind === 'slow') return { status: 200, body: { slow: true }, delayMs: 3000 };
  return { status: 404, body: { error: 'not found' } };
}

export interface DemoBackends {
  url: string;
  close(): Promise<void>;
}

/** Starts the demo backend on 127.0.0.1 (port 0 = any free port). */
export async function startDemoBackends(port = 0): Promise<DemoBackends> {
  const server: Server = createServer((req, res) => {
    const { status, body, delayMs } = route(req.url ?? '/');
    const send = () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (delayMs) setTimeout(send, delayMs).unref();
    else send();
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
