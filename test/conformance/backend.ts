import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the backend received. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ConformanceBackend {
  origin: string;
  /** A second server with the same routes: another origin, for redirects that leave the first. */
  other: string;
  seen: Seen[];
  close(): Promise<void>;
}

const user = {
  id: 1,
  name: 'Ada',
  email: 'ada@example.com',
  address: { city: 'London', zip: 'N1', geo: { lat: 51.5, lng: -0.1 } },
  tags: ['math', 'engines'],
};
const posts = [
  { id: 10, title: '<b>Notes</b> & sketches' },
  { id: 11, title: 'Second' },
];
const feed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Engine notes</title>
    <link>https://example.com/</link>
    <description>Notes on the analytical engine</description>
    <language>en</language>
    <managingEditor>ada@example.com (Ada Lovelace)</managingEditor>
    <category>math</category>
    <image><url>https://example.com/logo.png</url><title>Engine notes</title></image>
    <item>
      <title>Note G</title>
      <link>https://example.com/g</link>
      <description>Bernoulli numbers</description>
      <content:encoded><![CDATA[<p>The first program</p>]]></content:encoded>
      <pubDate>Mon, 02 Jan 2006 15:04:05 +0100</pubDate>
      <guid>g-1</guid>
      <category>programs</category>
      <enclosure url="https://example.com/g.pdf" length="1024" type="application/pdf"/>
    </item>
  </channel>
</rss>
`;
const catalog =
  '<?xml version="1.0" encoding="UTF-8"?>\n<catalog id="c1"><book lang="en">Sketches &amp; notes</book><book lang="fr">Notes</book><count>2</count></catalog>\n';

function json(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, path: string) => void;

/** The backend's routes, by exact path or by a prefix ending in `/`. */
const routes: Record<string, Handler> = {
  '/users/1': (_q, res) => json(res, user),
  '/users/1/posts': (_q, res) => json(res, posts),
  '/users/1/wrapped-posts': (_q, res) => json(res, { id: 1, posts }),
  '/motd': (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Mind the gap');
  },
  '/catalog.xml': (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(catalog);
  },
  '/feed.rss': (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/rss+xml' });
    res.end(feed);
  },
  '/profiles/': (req, res, _b, path) => json(res, { path, query: new URL(req.url ?? '', 'http://x').search }),
  '/cities/': (_q, res, _b, path) => json(res, { path }),
  '/posts/': (_q, res, _b, path) => json(res, { path }),
  '/orders/': (req, res, _b, path) =>
    json(res, { path, query: new URL(req.url ?? '', 'http://x').search, user: req.headers['x-user'] }),
  '/status/404': (_q, res) => {
    res.writeHead(404, { 'Content-Type': 'application/problem+json' });
    res.end('{"title":"no such order"}');
  },
  '/status/202': (_q, res) => json(res, { queued: true }, 202),
  '/slow': (_q, res) => {
    const timer = setTimeout(() => json(res, { late: true }), 5000);
    res.on('close', () => clearTimeout(timer));
  },
  '/garbage': (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('[1, 2]');
  },
  '/cookies': (_q, res) => {
    res.writeHead(201, [
      ['Content-Type', 'text/csv'],
      ['Set-Cookie', 'session=abc; Path=/'],
      ['Set-Cookie', 'theme=dark; Path=/'],
      ['X-Trace', 'one'],
      ['X-Trace', 'two'],
      ['Content-Length', '8'],
    ]);
    res.end('a,b\n1,2\n');
  },
  '/redirect/302': (_q, res) => redirect(res, 302, '/users/1'),
  '/redirect/303': (_q, res) => redirect(res, 303, '/echo/after-303'),
  '/redirect/307': (_q, res) => redirect(res, 307, '/echo/after-307'),
  '/redirect/elsewhere': (_q, res) => redirect(res, 302, `${elsewhere}/echo/elsewhere`),
  '/loop/': (_q, res, _b, path) => redirect(res, 302, `/loop/${Number(path.slice('/loop/'.length)) + 1}`),
  '/echo/': (req, res, body, path) =>
    json(res, {
      method: req.method,
      path,
      query: new URL(req.url ?? '', 'http://x').search,
      body,
      content_type: req.headers['content-type'] ?? null,
      request_id: req.headers['x-request-id'] ?? null,
      referer: req.headers.referer ?? null,
      authorization: req.headers.authorization ?? null,
    }),
};

/** The second server's origin, once started. */
let elsewhere = '';

function redirect(res: ServerResponse, status: number, location: string): void {
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

function route(path: string): Handler | undefined {
  const exact = routes[path];
  if (exact) return exact;
  const prefix = Object.keys(routes).find((p) => p.endsWith('/') && path.startsWith(p) && path !== p);
  return prefix ? routes[prefix] : undefined;
}

/** The backends of the conformance file, on one loopback server with an ephemeral port. */
export async function startConformanceBackend(): Promise<ConformanceBackend> {
  const seen: Seen[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] as string;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const handler = route(path);
      if (handler) handler(req, res, body, path);
      else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
      }
    });
  };
  const servers = [createServer(handle), createServer(handle)];
  const origins: string[] = [];
  for (const server of servers) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  elsewhere = origins[1] as string;
  return {
    origin: origins[0] as string,
    other: elsewhere,
    seen,
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
