import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const martian = (m: Record<string, unknown>) => ({ 'modifier/martian': m });
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('modifier/martian', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((req, res, body) =>
      json(res, {
        url: req.url,
        foo: req.headers['x-foo'] ?? null,
        gone: req.headers['x-gone'] ?? null,
        cookie: req.headers.cookie ?? null,
        body,
        type: req.headers['content-type'] ?? null,
      }),
    );
    const ep = (path: string, m: Record<string, unknown>, method = 'GET') => ({
      endpoint: path,
      method,
      input_headers: ['X-Gone', 'X-Switch', 'X-Tier', 'Content-Type'],
      input_query_strings: ['keep'],
      backend: [{ url_pattern: '/orig', extra_config: martian(m) }],
    });
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        ep('/group', {
          'fifo.Group': {
            scope: ['request', 'response'],
            aggregateErrors: true,
            modifiers: [
              { 'header.Modifier': { scope: ['request'], name: 'X-Foo', value: 'bar' } },
              { 'header.Blacklist': { scope: ['request'], names: ['X-Gone'] } },
              { 'querystring.Modifier': { scope: ['request'], name: 'added', value: 'a b' } },
              { 'cookie.Modifier': { scope: ['request'], name: 'sid', value: '42' } },
              { 'url.Modifier': { scope: ['request'], path: '/rewritten' } },
            ],
          },
        }),
        ep(
          '/body',
          { 'body.Modifier': { scope: ['request'], contentType: 'application/json', body: b64('{"x":1}') } },
          'POST',
        ),
        ep('/response-body', {
          'body.Modifier': {
            scope: ['response'],
            contentType: 'application/json',
            body: b64('{"replaced":true}'),
          },
        }),
        ep('/filter', {
          'header.Filter': {
            scope: ['request'],
            name: 'X-Switch',
            value: 'on',
            modifier: { 'header.Modifier': { scope: ['request'], name: 'X-Foo', value: 'then' } },
            else: { 'header.Modifier': { scope: ['request'], name: 'X-Foo', value: 'else' } },
          },
        }),
        ep('/regex-filter', {
          'header.RegexFilter': {
            scope: ['request'],
            header: 'X-Tier',
            regex: 'gold|plat',
            modifier: { 'header.Modifier': { scope: ['request'], name: 'X-Foo', value: 'matched' } },
          },
        }),
        // Go's syntax ((?i)) and a pattern that backtracks exponentially in a backtracking engine.
        ep('/regex-go', {
          'header.RegexFilter': {
            scope: ['request'],
            header: 'X-Tier',
            regex: '(?i)^(a+)+$',
            modifier: { 'header.Modifier': { scope: ['request'], name: 'X-Foo', value: 'matched' } },
          },
        }),
        ep('/status', { 'status.Modifier': { scope: ['response'], statusCode: 404 } }),
        ep('/unknown', { 'nope.Modifier': { scope: ['request'] } }),
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('fifo.Group applies header set and remove, query, cookie and url changes to the backend request', async () => {
    const r = await send(gw.port, '/group?keep=1', { headers: { 'X-Gone': 'x' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      url: '/rewritten?keep=1&added=a+b',
      foo: 'bar',
      gone: null,
      cookie: 'sid=42',
    });
  });

  it('body.Modifier replaces the request body and its content type', async () => {
    const r = await send(gw.port, '/body', {
      method: 'POST',
      body: 'original',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(JSON.parse(r.body)).toMatchObject({ body: '{"x":1}', type: 'application/json' });
  });

  it('a response-scoped body.Modifier replaces what the backend answered before decoding', async () => {
    expect(JSON.parse((await send(gw.port, '/response-body')).body)).toEqual({ replaced: true });
  });

  it('header.Filter runs its modifier or its else branch', async () => {
    expect(JSON.parse((await send(gw.port, '/filter', { headers: { 'X-Switch': 'on' } })).body).foo).toBe(
      'then',
    );
    expect(JSON.parse((await send(gw.port, '/filter')).body).foo).toBe('else');
  });

  it('header.RegexFilter runs its modifier when a value of the header matches, anywhere in it', async () => {
    const matched = await send(gw.port, '/regex-filter', { headers: { 'X-Tier': 'platinum' } });
    expect(matched.status).toBe(200);
    expect(JSON.parse(matched.body).foo).toBe('matched');
    expect(
      JSON.parse((await send(gw.port, '/regex-filter', { headers: { 'X-Tier': 'free' } })).body).foo,
    ).toBeNull();
    expect(JSON.parse((await send(gw.port, '/regex-filter')).body).foo).toBeNull();
  });

  it("header.RegexFilter takes Go's regexp syntax and runs in linear time on a client's value", async () => {
    const foo = async (tier: string) =>
      JSON.parse((await send(gw.port, '/regex-go', { headers: { 'X-Tier': tier } })).body).foo;
    expect(await foo('AAA')).toBe('matched');
    // 40 a's then a b: a backtracking engine tries 2^40 ways before giving up.
    expect(await foo(`${'a'.repeat(40)}b`)).toBeNull();
  });

  it('status.Modifier on the response makes a 200 a backend failure (500, as KrakenD)', async () => {
    expect((await send(gw.port, '/status')).status).toBe(500);
  });

  it('an unknown modifier leaves the endpoint unserved: 500', async () => {
    const before = backend.received.length;
    const r = await send(gw.port, '/unknown');
    expect(r.status).toBe(500);
    expect(backend.received.length).toBe(before);
  });
});
