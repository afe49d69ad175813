// Peers written the shortest way with undici, one Pool to the backend:
//   /noop   a minimal proxy: undici's stream() API, made for proxying (same path; status, headers and
//           body written straight to the response) — the fastest of the short ways we tried
//   /json   the same allow + mapping as the gateway's JSON endpoint, by hand
//   /merge  a minimal aggregator: three parallel requests, JSON.parse, merge, JSON.stringify
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2], { connections: 128 });

async function getJson(path) {
  const { body } = await pool.request({ path, method: 'GET' });
  return body.json();
}

function sendJson(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = createServer(async (req, res) => {
  try {
    if (req.url === '/noop') {
      await pool.stream({ path: '/noop', method: req.method }, ({ statusCode, headers }) => {
        res.writeHead(statusCode, headers);
        return res;
      });
    } else if (req.url === '/json') {
      const u = await getJson('/user');
      sendJson(res, {
        user_id: u.id,
        name: u.name,
        email: u.email,
        address: { city: u.address.city },
        company: { name: u.company.name },
      });
    } else if (req.url === '/merge') {
      const [a, b, c] = await Promise.all([getJson('/a'), getJson('/b'), getJson('/c')]);
      sendJson(res, { ...a, ...b, ...c });
    } else {
      res.writeHead(404);
      res.end();
    }
  } catch {
    if (res.headersSent) res.destroy();
    else {
      res.writeHead(502);
      res.end();
    }
  }
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
