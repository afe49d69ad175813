import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

// 40 items: about 1.6 KB of XML, over the 1 KB root limit below.
const items = Array.from({ length: 40 }, (_, i) => `<item><title>n${i}</title></item>`).join('');
const CATALOG = `<?xml version="1.0"?><catalog>${items}</catalog>`;
const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${items}</channel></rss>`;

describe('switchyard/backend max_xml_bytes', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    const xml = (body: string) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(body);
    };
    backend = await startBackend(
      routes({ '/catalog.xml': xml(CATALOG), '/feed.rss': xml(FEED), '/broken.xml': xml('<a><b></a>') }),
    );
    gw = await startGateway({
      host: [backend.origin],
      extra_config: {
        router: { return_error_msg: true },
        'switchyard/errors': { transport_statuses: true },
        'switchyard/backend': { max_xml_bytes: 1024 },
      },
      endpoints: [
        { endpoint: '/xml', backend: [{ url_pattern: '/catalog.xml', encoding: 'xml' }] },
        { endpoint: '/rss', backend: [{ url_pattern: '/feed.rss', encoding: 'rss' }] },
        {
          endpoint: '/xml/allowed',
          backend: [
            {
              url_pattern: '/catalog.xml',
              encoding: 'xml',
              extra_config: { 'switchyard/backend': { max_xml_bytes: 4096 } },
            },
          ],
        },
        { endpoint: '/xml/broken', backend: [{ url_pattern: '/broken.xml', encoding: 'xml' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('fails an xml or rss backend whose body passes the root limit, without decoding it', async () => {
    for (const path of ['/xml', '/rss']) {
      const res = await send(gw.port, path);
      expect(res.status).toBe(502);
      expect(res.body).toMatch(/^xml: body of \d+ bytes is larger than max_xml_bytes \(1024\)$/);
    }
  });

  it("lets a backend's own max_xml_bytes override the root's", async () => {
    const res = await send(gw.port, '/xml/allowed');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { catalog: { item: unknown[] } }).catalog.item).toHaveLength(40);
  });

  it('still refuses malformed XML with the validator message', async () => {
    const res = await send(gw.port, '/xml/broken');
    expect(res.status).toBe(502);
    expect(res.body).toMatch(/^xml: Expected closing tag 'b'/);
  });
});
