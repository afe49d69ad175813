import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const user = {
  id: 1,
  name: 'Ada',
  email: 'ada@example.com',
  address: { city: 'London', zip: 'N1', geo: { lat: 51.5, lng: -0.1 } },
  tags: ['a', 'b'],
};

describe('backend data manipulation (target → allow/deny → mapping → group)', () => {
  let backend: TestBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startBackend(
      routes({
        '/user': user,
        '/wrapped': { data: { user, meta: 1 } },
        '/list': [{ id: 1 }, { id: 2 }],
        '/scalar': (_req, res) => res.end('"just text"'),
        '/text': (_req, res) => res.end('plain <b>text</b>'),
        '/orders': {
          orders: [
            { id: 1, total: 10, internal: 'x', items: [{ sku: 'a', cost: 1 }] },
            { id: 2, total: 20, internal: 'y', items: [{ sku: 'b', cost: 2 }] },
          ],
          extra: [9],
          owner: { name: 'Ada' },
        },
      }),
    );
    const ep = (endpoint: string, backendConfig: Record<string, unknown>) => ({
      endpoint,
      backend: [{ url_pattern: '/user', ...backendConfig }],
    });
    gw = await startGateway({
      host: [backend.origin],
      endpoints: [
        ep('/allow', { allow: ['id', 'address.city', 'address.geo.lat', 'missing.key'] }),
        ep('/deny', { deny: ['email', 'address.zip', 'tags.x'] }),
        ep('/both', { allow: ['id'], deny: ['id'] }),
        ep('/deny-deep', { deny: ['address.geo.lat', 'address.geo.lng', 'address.city', 'address.zip'] }),
        ep('/mapping', { mapping: { name: 'full_name', email: 'contact.email', id: 'name' } }),
        ep('/group', { group: 'person', allow: ['id'] }),
        ep('/target', {
          url_pattern: '/wrapped',
          target: 'data.user',
          allow: ['name'],
          mapping: { name: 'n' },
        }),
        ep('/target-missing', { url_pattern: '/wrapped', target: 'data.nothing' }),
        ep('/collection', { url_pattern: '/list', is_collection: true }),
        ep('/collection-mapped', {
          url_pattern: '/list',
          is_collection: true,
          mapping: { collection: 'items' },
        }),
        ep('/safe-array', { url_pattern: '/list', encoding: 'safejson' }),
        ep('/safe-scalar', { url_pattern: '/scalar', encoding: 'safejson' }),
        ep('/string', { url_pattern: '/text', encoding: 'string' }),
        ep('/flatmap', {
          url_pattern: '/orders',
          allow: ['ignored'],
          extra_config: {
            proxy: {
              flatmap_filter: [
                { type: 'del', args: ['orders.*.internal'] },
                { type: 'move', args: ['orders.*.total', 'orders.*.amount'] },
                { type: 'move', args: ['owner.name', 'owner_name'] },
                { type: 'del', args: ['orders.*.items.*.cost'] },
                { type: 'append', args: ['extra', 'orders'] },
                { type: 'del', args: ['owner'] },
              ],
            },
          },
        }),
        ep('/flatmap-index', {
          url_pattern: '/orders',
          extra_config: {
            proxy: {
              flatmap_filter: [
                { type: 'move', args: ['orders.0', 'first'] },
                { type: 'del', args: ['orders', 'extra', 'owner'] },
              ],
            },
          },
        }),
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  const get = async (path: string) => {
    const res = await send(gw.port, path);
    expect(res.status).toBe(200);
    return res;
  };
  const data = async (path: string) => JSON.parse((await get(path)).body);

  it('allow keeps only the listed dot paths', async () => {
    expect(await data('/allow')).toEqual({ id: 1, address: { city: 'London', geo: { lat: 51.5 } } });
  });

  it('deny removes the listed fields', async () => {
    const { address, ...rest } = user;
    expect(await data('/deny')).toEqual({
      id: rest.id,
      name: rest.name,
      tags: rest.tags,
      address: { city: 'London', geo: address.geo },
    });
  });

  it('deny reaches any depth and keeps an object it emptied as {} (lura formatter)', async () => {
    const { address: _, ...rest } = user;
    expect(await data('/deny-deep')).toEqual({ ...rest, address: { geo: {} } });
  });

  it('allow wins over deny', async () => {
    expect(await data('/both')).toEqual({ id: 1 });
  });

  it('mapping renames top-level fields (the first segment of the new name), replacing a clash', async () => {
    expect(await data('/mapping')).toEqual({
      address: user.address,
      tags: user.tags,
      full_name: 'Ada',
      contact: 'ada@example.com',
      name: 1,
    });
  });

  it('group nests the result under a key', async () => {
    expect(await data('/group')).toEqual({ person: { id: 1 } });
  });

  it('target extracts a nested object before the other steps', async () => {
    expect(await data('/target')).toEqual({ n: 'Ada' });
    const missing = await get('/target-missing');
    expect(missing.body).toBe('{}');
    // No data: the answer is not counted as complete, as in KrakenD.
    expect(missing.headers['x-krakend-completed']).toBe('false');
  });

  it('is_collection puts an array under "collection", which mapping can rename', async () => {
    expect(await data('/collection')).toEqual({ collection: [{ id: 1 }, { id: 2 }] });
    expect(await data('/collection-mapped')).toEqual({ items: [{ id: 1 }, { id: 2 }] });
  });

  it('safejson accepts arrays (collection) and scalars (content)', async () => {
    expect(await data('/safe-array')).toEqual({ collection: [{ id: 1 }, { id: 2 }] });
    expect(await data('/safe-scalar')).toEqual({ content: 'just text' });
  });

  it('string encoding puts the body under "content"', async () => {
    expect(await data('/string')).toEqual({ content: 'plain <b>text</b>' });
  });

  it('flatmap_filter moves, deletes and appends, with * over arrays, replacing allow', async () => {
    expect(await data('/flatmap')).toEqual({
      orders: [{ id: 1, amount: 10, items: [{ sku: 'a' }] }, { id: 2, amount: 20, items: [{ sku: 'b' }] }, 9],
      owner_name: 'Ada',
    });
  });

  it('flatmap_filter addresses array elements by index', async () => {
    expect(await data('/flatmap-index')).toEqual({
      first: { id: 1, total: 10, internal: 'x', items: [{ sku: 'a', cost: 1 }] },
    });
  });
});
