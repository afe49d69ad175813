import { createServer, type Server } from 'node:http';
import { listenOrFail } from '@switchyard/shared';

// Small backends for `switchyard demo`: enough to show aggregation, filtering and a slow backend. They
// answer every backend path of examples/aggregation.json.
interface User {
  id: number;
  name: string;
  email: string;
  password_hash: string;
  team_id: number;
  address: { street: string; city: string };
}
const USERS: Record<string, User> = {
  '1': {
    id: 1,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    password_hash: 'x1',
    team_id: 10,
    address: { street: '12 St James Square', city: 'London' },
  },
  '2': {
    id: 2,
    name: 'Grace Hopper',
    email: 'grace@example.com',
    password_hash: 'x2',
    team_id: 20,
    address: { street: '1 Navy Yard', city: 'Arlington' },
  },
};
const TEAMS: Record<string, { id: number; name: string; members: number }> = {
  '10': { id: 10, name: 'Analytical Engines', members: 4 },
  '20': { id: 20, name: 'Compilers', members: 7 },
};
const ORDERS = [
  { order_id: 'o-1', user_id: 1, total: 42.5, status: 'shipped', internal_notes: 'gift wrap' },
  { order_id: 'o-2', user_id: 1, total: 12.0, status: 'open', internal_notes: '' },
  { order_id: 'o-3', user_id: 2, total: 99.9, status: 'open', internal_notes: 'priority' },
];
const RECOMMENDATIONS: Record<string, string[]> = {
  '1': ['Notes on the Analytical Engine', 'Difference Engine No. 2'],
  '2': ['COBOL in 21 days', 'Nanoseconds, explained'],
};

function route(method: string, target: string): { status: number; body: unknown; delayMs?: number } {
  const url = new URL(target, 'http://demo.invalid');
  const [, kind, id] = url.pathname.split('/');
  if (kind === 'users' && id && USERS[id]) return { status: 200, body: USERS[id] };
  if (kind === 'teams' && id && TEAMS[id]) return { status: 200, body: TEAMS[id] };
  if (kind === 'recommendations' && id)
    return { status: 200, body: { data: { items: RECOMMENDATIONS[id] ?? [], source: 'demo' } } };
  if (kind === 'orders' && method === 'POST')
    return { status: 201, body: { order_id: `o-${ORDERS.length + 1}`, status: 'open' } };
  if (kind === 'orders' && id === 'recent') return { status: 200, body: ORDERS.slice(-2) };
  if (kind === 'orders') {
    const q = url.searchParams;
    const user = Number(q.get('user') ?? q.get('user_id') ?? id);
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

/** Starts the demo backend on `host` [127.0.0.1] and `port` (0 = any free port). */
export async function startDemoBackends(port = 0, host = '127.0.0.1'): Promise<DemoBackends> {
  const server: Server = createServer((req, res) => {
    req.resume(); // a POST body is read and ignored
    const { status, body, delayMs } = route(req.method ?? 'GET', req.url ?? '/');
    const send = () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (delayMs) setTimeout(send, delayMs).unref();
    else send();
  });
  const { address, port: bound } = await listenOrFail(server, port, host, 'demo backends');
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
