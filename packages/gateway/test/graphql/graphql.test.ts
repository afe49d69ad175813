import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// A real GraphQL server: the graphql package executes what the gateway sends, by GET or POST.
const schema = buildSchema(`
  type User { id: ID!, name: String! }
  type Query { user(id: ID!): User }
  type Mutation { rename(id: ID!, name: String!): User }
`);
const root = {
  user: ({ id }: { id: string }) => ({ id, name: `user ${id}` }),
  rename: ({ id, name }: { id: string; name: string }) => ({ id, name }),
};

const USER = 'query GetUser($id: ID!) { user(id: $id) { id name } }';
const RENAME = 'mutation Rename($id: ID!, $name: String!) { rename(id: $id, name: $name) { id name } }';

describe('backend/graphql', () => {
  let server: TestBackend;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    server = await startBackend((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const request =
        req.method === 'GET'
          ? {
              query: url.searchParams.get('query') ?? '',
              operationName: url.searchParams.get('operationName'),
              variables: JSON.parse(url.searchParams.get('variables') ?? '{}'),
            }
          : JSON.parse(body);
      void graphql({
        schema,
        rootValue: root,
        source: request.query,
        variableValues: request.variables,
        operationName: request.operationName,
      }).then((result) => json(res, result));
    });
    dir = mkdtempSync(join(tmpdir(), 'swy-graphql-'));
    writeFileSync(join(dir, 'user.graphql'), USER);
    const backend = (extra: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
      host: [server.origin],
      url_pattern: '/graphql',
      extra_config: { 'backend/graphql': extra },
      ...more,
    });
    gw = await startGateway({
      extra_config: { router: { return_error_msg: true } },
      endpoints: [
        {
          endpoint: '/users/{id}',
          backend: [
            backend(
              { type: 'query', query: USER, variables: { id: '{id}' }, operationName: 'GetUser' },
              { target: 'data' },
            ),
          ],
        },
        {
          endpoint: '/get/users/{id}',
          backend: [
            backend(
              {
                type: 'query',
                method: 'get',
                query_path: join(dir, 'user.graphql'),
                variables: { id: '{id}' },
              },
              { target: 'data' },
            ),
          ],
        },
        {
          endpoint: '/users/{id}/rename',
          method: 'POST',
          backend: [backend({ type: 'mutation', query: RENAME, variables: { id: 'fixed', name: 'unset' } })],
        },
        { endpoint: '/broken', backend: [backend({ type: 'query', query: 'query { user(id: 1) {' })] },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POSTs the query with the params as variables and operationName, as lura writes the body', async () => {
    const answer = await send(gw.port, '/users/7');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ user: { id: '7', name: 'user 7' } });
    const got = server.received.at(-1);
    expect(got?.method).toBe('POST');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.body).toBe(
      `{"query":${JSON.stringify(USER)},"operationName":"GetUser","variables":{"id":"7"}}`,
    );
  });

  it('GETs with query and variables in the query string (method get, query_path)', async () => {
    const answer = await send(gw.port, '/get/users/a%20b');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ user: { id: 'a b', name: 'user a b' } });
    const got = server.received.at(-1);
    expect(got?.method).toBe('GET');
    expect(got?.body).toBe('');
    // Go's url.QueryEscape: `!`, `(`, `)`, `$`, `:` escaped, spaces as `+`.
    expect(got?.url).toBe(
      '/graphql?query=query+GetUser%28%24id%3A+ID%21%29+%7B+user%28id%3A+%24id%29+%7B+id+name+%7D+%7D&variables=%7B%22id%22%3A%22a+b%22%7D',
    );
  });

  it('takes a mutation’s variables from the request body, over the configured ones', async () => {
    const answer = await send(gw.port, '/users/9/rename', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"Ada"}',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { rename: { id: 'fixed', name: 'Ada' } } });
    expect(server.received.at(-1)?.body).toBe(
      `{"query":${JSON.stringify(RENAME)},"variables":{"id":"fixed","name":"Ada"}}`,
    );
  });

  it('answers 500 without calling the server when a mutation’s body is not a JSON object', async () => {
    const before = server.received.length;
    const empty = await send(gw.port, '/users/9/rename', { method: 'POST' });
    expect(empty.status).toBe(500);
    expect(empty.body).toBe('unexpected end of JSON input');
    const list = await send(gw.port, '/users/9/rename', { method: 'POST', body: '[1]' });
    expect(list.status).toBe(500);
    expect(list.body).toBe('json: cannot unmarshal array into Go value of type map[string]interface {}');
    expect(server.received.length).toBe(before);
  });

  it('leaves an endpoint whose query cannot be parsed unserved (500), the others served', async () => {
    const before = server.received.length;
    const broken = await send(gw.port, '/broken');
    expect(broken.status).toBe(500);
    expect(broken.body).toBe('');
    expect(server.received.length).toBe(before);
    expect((await send(gw.port, '/users/1')).status).toBe(200);
  });
});
