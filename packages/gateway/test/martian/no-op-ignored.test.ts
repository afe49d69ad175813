import { Writable } from 'node:stream';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type TestBackend } from '../support/backend.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

describe('namespaces a no-op endpoint cannot apply', () => {
  let backend: TestBackend;
  let gw: TestGateway;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    backend = await startBackend((_req, res) => res.end('raw'));
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    gw = await startGateway(
      {
        host: [backend.origin],
        endpoints: [
          {
            endpoint: '/raw',
            output_encoding: 'no-op',
            extra_config: { 'modifier/lua-proxy': { post: 'response.load():headers("X-A", "1")' } },
            backend: [
              {
                url_pattern: '/raw',
                encoding: 'no-op',
                extra_config: {
                  'modifier/lua-backend': { post: 'response.load():headers("X-B", "1")' },
                  'modifier/martian': { 'header.Modifier': { scope: ['response'], name: 'X-C', value: '1' } },
                },
              },
            ],
          },
        ],
      },
      { logger: createLogger({ level: 'warn', destination }) },
    );
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it('warns that lua-proxy, lua-backend and a martian response modifier are ignored, as other such plugins', () => {
    const ignored = lines
      .filter((l) => l.msg === 'not applied to no-op endpoints; ignored')
      .map((l) => l.plugin);
    expect(ignored).toEqual(
      expect.arrayContaining(['modifier/lua-proxy', 'modifier/lua-backend', 'modifier/martian (response)']),
    );
  });
});
