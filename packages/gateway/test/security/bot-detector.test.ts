import { Writable } from 'node:stream';
import { formatDiagnostic, validateGatewayConfig } from '@switchyard/config';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botDecision } from '../../src/security/bot-detector.js';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const DETECTOR = {
  allow: ['MyAndroidClient/1.0', 'Pingdom.com_bot_version_1.1'],
  deny: ['facebookexternalhit/1.1'],
  patterns: ['(Pingdom.com_bot_version_).*', '(?i)curl/\\d+'],
  cache_size: 2,
};

describe('security/bot-detector', () => {
  let backend: TestBackend;
  let root: TestGateway;
  let perEndpoint: TestGateway;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
    root = await startGateway({
      host: [backend.origin],
      extra_config: { 'security/bot-detector': { ...DETECTOR, empty_user_agent_is_bot: true } },
      endpoints: [{ endpoint: '/data', backend: [{ url_pattern: '/data' }] }],
    });
    perEndpoint = await startGateway({
      host: [backend.origin],
      endpoints: [
        {
          endpoint: '/guarded',
          backend: [{ url_pattern: '/data' }],
          extra_config: { 'security/bot-detector': DETECTOR },
        },
        { endpoint: '/open', backend: [{ url_pattern: '/data' }] },
        {
          endpoint: '/broken',
          backend: [{ url_pattern: '/data' }],
          extra_config: { 'security/bot-detector': { patterns: ['(unclosed'] } },
        },
      ],
    });
  });

  afterAll(async () => {
    await root.close();
    await perEndpoint.close();
    await backend.close();
  });

  const get = (port: number, path: string, ua?: string) =>
    send(port, path, ua === undefined ? {} : { headers: { 'User-Agent': ua } });

  it('refuses a denied or pattern-matched User-Agent with 403, no body and no backend call', async () => {
    const before = backend.received.length;
    for (const ua of ['facebookexternalhit/1.1', 'Pingdom.com_bot_version_2.0', 'CURL/8.1']) {
      const a = await get(perEndpoint.port, '/guarded', ua);
      expect(a.status, ua).toBe(403);
      expect(a.body).toBe('');
      expect(a.headers['content-length']).toBe('0');
      expect(a.headers['x-krakend-completed']).toBeUndefined();
    }
    expect(backend.received.length).toBe(before);
  });

  it('lets the allow list win over the patterns, and other agents through', async () => {
    for (const ua of ['Pingdom.com_bot_version_1.1', 'MyAndroidClient/1.0', 'Mozilla/5.0'])
      expect((await get(perEndpoint.port, '/guarded', ua)).status, ua).toBe(200);
  });

  it('takes an empty User-Agent for a bot only with empty_user_agent_is_bot', async () => {
    expect((await get(perEndpoint.port, '/guarded')).status).toBe(200);
    expect((await get(root.port, '/data')).status).toBe(403);
    expect((await get(root.port, '/data', '')).status).toBe(403);
  });

  it('leaves an endpoint without the namespace alone', async () => {
    expect((await get(perEndpoint.port, '/open', 'curl/8.1')).status).toBe(200);
  });

  it('at the root, refuses bots on every path (unknown routes and the health route too)', async () => {
    for (const path of ['/data', '/nowhere', '/__health'])
      expect((await get(root.port, path, 'curl/8.1')).status, path).toBe(403);
    expect((await get(root.port, '/nowhere', 'Mozilla/5.0')).status).toBe(404);
    expect((await get(root.port, '/data', 'Mozilla/5.0')).status).toBe(200);
  });

  it('decides the same when the LRU cache evicts and recalls agents', async () => {
    const agents = ['curl/1', 'Mozilla/1', 'curl/2', 'Mozilla/2', 'curl/1', 'Mozilla/1'];
    const statuses: number[] = [];
    for (const ua of agents) statuses.push((await get(perEndpoint.port, '/guarded', ua)).status);
    expect(statuses).toEqual([403, 200, 403, 200, 403, 200]);
  });

  it('matches patterns in linear time: a User-Agent built to backtrack is decided at once', async () => {
    const gw = await startGateway({
      host: [backend.origin],
      extra_config: { 'security/bot-detector': { patterns: ['^(a+)+$'] } },
      endpoints: [{ endpoint: '/data', backend: [{ url_pattern: '/data' }] }],
    });
    try {
      // A backtracking engine would take ~2^40 steps on this; RE2 semantics answer it right away.
      expect((await get(gw.port, '/data', `${'a'.repeat(40)}!`)).status).toBe(200);
      expect((await get(gw.port, '/data', 'a'.repeat(40))).status).toBe(403);
    } finally {
      await gw.close();
    }
  });

  it('a pattern that is not a regular expression: the endpoint serves without the detector, as KrakenD', async () => {
    expect((await get(perEndpoint.port, '/broken', 'curl/8.1')).status).toBe(200);
    expect((await get(perEndpoint.port, '/open', 'Mozilla/5.0')).status).toBe(200);
  });

  it('at the root, a pattern that does not compile is a warning; the gateway serves without the detector', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const gw = await startGateway(
      {
        host: [backend.origin],
        extra_config: { 'security/bot-detector': { patterns: ['(unclosed'] } },
        endpoints: [{ endpoint: '/data', backend: [{ url_pattern: '/data' }] }],
      },
      { logger: createLogger({ level: 'warn', destination }) },
    );
    try {
      expect((await get(gw.port, '/data', 'curl/8.1')).status).toBe(200);
      const warning = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((l) => l.level === 40);
      expect(warning?.msg).toBe('extra_config security/bot-detector: serving without the bot detector');
    } finally {
      await gw.close();
    }
  });

  it('remembers cache_size decisions: the patterns run again only for an evicted agent', () => {
    const asked: string[] = [];
    const plain = (ua: string) => {
      asked.push(ua);
      return ua.startsWith('curl');
    };
    const isBot = botDecision({ cache_size: 2 }, 'test', plain);
    for (const ua of ['curl/1', 'Mozilla/1', 'curl/1', 'Mozilla/2', 'Mozilla/1', 'curl/1'])
      expect(isBot(ua)).toBe(ua.startsWith('curl'));
    // curl/1 is recalled; Mozilla/2 evicts Mozilla/1 (least recent), which back evicts curl/1.
    expect(asked).toEqual(['curl/1', 'Mozilla/1', 'Mozilla/2', 'Mozilla/1', 'curl/1']);
    const uncached: string[] = [];
    const none = botDecision({}, 'test', (ua) => uncached.push(ua) < 0);
    none('a');
    none('a');
    expect(uncached).toEqual(['a', 'a']);
  });

  it('bounds the cache by the length of the agents it holds, not only by their number', () => {
    const asked: string[] = [];
    const isBot = botDecision({ cache_size: 2 }, 'test', (ua) => asked.push(ua) < 0);
    // Two agents of 1000 characters are more than 2 entries of the 256 characters one entry may average.
    const a = `${'a'.repeat(999)}1`;
    const b = `${'b'.repeat(999)}2`;
    for (const ua of [a, b, a]) isBot(ua);
    expect(asked).toEqual([a, b, a]);
    // Agents of usual length are still remembered cache_size at a time.
    asked.length = 0;
    for (const ua of ['Mozilla/1', 'curl/1', 'Mozilla/1', 'curl/1']) isBot(ua);
    expect(asked).toEqual(['Mozilla/1', 'curl/1']);
  });

  it('cache_size above 1e6 is refused with file, line:column, pointer and the bound', () => {
    const file = {
      version: 3,
      host: ['http://127.0.0.1:1'],
      extra_config: { 'security/bot-detector': { patterns: ['curl'], cache_size: 2_000_000_000 } },
      endpoints: [{ endpoint: '/a', backend: [{ url_pattern: '/a' }] }],
    };
    const { warnings } = validateGatewayConfig(file, {
      file: 'f.json',
      source: JSON.stringify(file, null, 1),
    });
    const text = warnings.map(formatDiagnostic).join('\n');
    expect(text).toMatch(/f\.json:\d+:\d+/);
    expect(text).toContain('/extra_config/security~1bot-detector/cache_size');
    expect(text).toContain('1000000');
  });
});
