import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, json, routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { until } from './support/wait.js';

describe('output encodings', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/list': [{ id: 1 }, { id: 2 }],
        '/obj': { name: 'Ada', tags: ['x', 'y'], nested: { n: 1, empty: {} }, none: null },
        '/text': (_req, res) => res.end('hello'),
      }),
    );
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        {
          endpoint: '/collection',
          output_encoding: 'json-collection',
          backend: [{ url_pattern: '/list', is_collection: true }],
        },
        {
          endpoint: '/collection-none',
          output_encoding: 'json-collection',
          backend: [{ url_pattern: '/obj' }],
        },
        {
          endpoint: '/string',
          output_encoding: 'string',
          backend: [{ url_pattern: '/text', encoding: 'string' }],
        },
        { endpoint: '/negotiate', output_encoding: 'negotiate', backend: [{ url_pattern: '/obj' }] },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('json-collection answers the collection itself, or [] without one', async () => {
    const res = await send(gw.port, '/collection');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('[{"id":1},{"id":2}]');
    expect((await send(gw.port, '/collection-none')).body).toBe('[]');
  });

  it('string answers the content field as text', async () => {
    const res = await send(gw.port, '/string');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('hello');
  });

  it("negotiate answers JSON, XML or YAML by Accept, as gin negotiates lura's offers", async () => {
    const expected = { name: 'Ada', tags: ['x', 'y'], nested: { n: 1, empty: {} }, none: null };
    for (const accept of [undefined, 'application/json', '*/*', 'application/yaml', 'image/png']) {
      const res = await send(gw.port, '/negotiate', { headers: accept ? { Accept: accept } : {} });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toBe('{"name":"Ada","nested":{"empty":{},"n":1},"none":null,"tags":["x","y"]}');
      expect(JSON.parse(res.body)).toEqual(expected);
    }
    for (const accept of ['application/xml', 'application/xml, application/json']) {
      const xml = await send(gw.port, '/negotiate', { headers: { Accept: accept } });
      expect(xml.headers['content-type']).toBe('application/xml');
      expect(xml.body).toBe(
        '<doc><name>Ada</name><nested><empty/><n>1</n></nested><none/><tags>x</tags><tags>y</tags></doc>',
      );
    }
    for (const accept of ['text/plain;q=0.9', 'application/x-yaml']) {
      const yaml = await send(gw.port, '/negotiate', { headers: { Accept: accept } });
      expect(yaml.headers['content-type']).toBe('application/yaml; charset=utf-8');
      expect(yaml.body).toBe(
        ['name: Ada', 'nested:', '  empty: {}', '  n: 1', 'none: null', 'tags:', '  - x', '  - y', ''].join(
          '\n',
        ),
      );
    }
  });
});

describe('no-op passthrough', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  let release: () => void = () => undefined;
  let endlessClosed = false;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/created': (_req, res) => {
          res.writeHead(201, [
            'Content-Type',
            'application/vnd.custom',
            'Set-Cookie',
            'a=1',
            'Set-Cookie',
            'b=2',
            'X-Secret',
            'hop',
            'Connection',
            'X-Secret',
            'Keep-Alive',
            'timeout=9',
          ]);
          res.end('not json at all');
        },
        '/missing': (_req, res) => {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('nope');
        },
        '/streamed': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('first;');
          // The rest comes only once the client has the first chunk: a buffering gateway would hang here.
          release = () => res.end('second');
        },
        '/endless': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('tick;');
          res.on('close', () => {
            endlessClosed = !res.writableEnded;
          });
        },
        '/stalls': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('partial');
        },
        '/echo-body': (req, res, body) => json(res, { method: req.method, body }),
      }),
    );
    const noop = (endpoint: string, url_pattern: string, extra: Record<string, unknown> = {}) => ({
      endpoint,
      output_encoding: 'no-op' as const,
      ...extra,
      backend: [{ url_pattern, encoding: 'no-op' as const }],
    });
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        noop('/created', '/created'),
        noop('/missing', '/missing'),
        noop('/streamed', '/streamed'),
        noop('/stalls', '/stalls', { timeout: '300ms' }),
        noop('/endless', '/endless', { timeout: '60s' }),
        noop('/post', '/echo-body', { method: 'POST' }),
        {
          endpoint: '/refused',
          output_encoding: 'no-op',
          backend: [
            { url_pattern: '/', encoding: 'no-op', host: [`http://127.0.0.1:${await closedPort()}`] },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('passes status, headers and body through, without hop-by-hop headers', async () => {
    const res = await send(gw.port, '/created');
    expect(res.status).toBe(201);
    expect(res.body).toBe('not json at all');
    expect(res.headers['content-type']).toBe('application/vnd.custom');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-secret']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=9');
    // KrakenD marks no-op answers incomplete: the gateway does not look into them.
    expect(res.headers['x-krakend-completed']).toBe('false');
    const missing = await send(gw.port, '/missing');
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('nope');
  });

  it('streams the body as it arrives', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/streamed', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text === 'first;') release();
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('first;second');
  });

  it('cuts a body that is still coming when the timeout expires', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/stalls', agent: false }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
      req.end();
    });
    expect(outcome).toBe('cut');
  });

  it('stops the backend call when the client goes away', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/endless', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    // Well before the 60 s endpoint timeout: only the client going away can have ended it.
    await until(() => endlessClosed);
  });

  it('forwards the request body', async () => {
    const res = await send(gw.port, '/post', { method: 'POST', body: 'raw payload' });
    expect(JSON.parse(res.body)).toEqual({ method: 'POST', body: 'raw payload' });
  });

  it('answers 500 when the backend refuses the connection, as KrakenD', async () => {
    const res = await send(gw.port, '/refused');
    expect(res.status).toBe(500);
    expect(res.body).toBe('');
  });
});
