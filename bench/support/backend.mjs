// The benchmark's backend: fixed answers from memory on 127.0.0.1 (ephemeral port, printed as
// `LISTENING <port>`), so what is measured is the proxy in front of it.
import { createServer } from 'node:http';

const user = {
  id: 4242,
  username: 'ada',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+44 20 7946 0000',
  website: 'https://example.com/ada',
  address: {
    street: '12 St James Square',
    city: 'London',
    zipcode: 'SW1Y 4JH',
    geo: { lat: 51.507, lng: -0.135 },
  },
  company: { name: 'Analytical Engines', catchPhrase: 'Notes on the engine', bs: 'computing' },
  roles: ['admin', 'author', 'reviewer'],
  created_at: '1843-07-10T12:00:00Z',
};
const part = (key) =>
  JSON.stringify({ [key]: { id: 1, label: `part ${key}`, values: [1, 2, 3, 4, 5], ok: true } });
const answers = {
  '/noop': JSON.stringify({ ...user, note: 'passthrough body' }),
  '/user': JSON.stringify(user),
  '/a': part('a'),
  '/b': part('b'),
  '/c': part('c'),
};
const bodies = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, Buffer.from(v)]));

const server = createServer((req, res) => {
  const body = bodies[req.url];
  if (!body) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
